# Generates, from the SQL files in <dir>/<group>/<name>.sql, one header per
# group, <out_dir>/<group>.h, declaring each statement as
#   namespace baton::store::queries::<group> {
#   inline constexpr char kCamelName[] = R"baton_sql(...)baton_sql";
#   }
# The comment lines a file starts with (what the statement does, its
# parameters) become the C++ comment above its constant; the rest is the
# statement as sent. A header is rewritten only when its content changes, and
# editing, adding or removing a .sql file reconfigures.
function(baton_embed_queries dir out_dir)
  file(GLOB files CONFIGURE_DEPENDS ${dir}/*/*.sql)
  list(SORT files)
  set(groups "")
  foreach(f ${files})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${f})
    get_filename_component(group_dir ${f} DIRECTORY)
    get_filename_component(group ${group_dir} NAME)
    get_filename_component(name ${f} NAME_WE)
    if(NOT name MATCHES "^[a-z][a-z0-9_]*$" OR NOT group MATCHES "^[a-z][a-z0-9_]*$")
      message(FATAL_ERROR "${f}: query files are named <group>/<snake_case>.sql")
    endif()
    list(APPEND groups ${group})
    # snake_case -> kCamelCase
    string(REGEX MATCHALL "[^_]+" parts ${name})
    set(constant "k")
    foreach(part ${parts})
      string(SUBSTRING ${part} 0 1 first)
      string(TOUPPER ${first} first)
      string(SUBSTRING ${part} 1 -1 rest)
      string(APPEND constant ${first} ${rest})
    endforeach()
    file(READ ${f} sql)
    string(REGEX MATCH "^(--[^\n]*\n)+" comment "${sql}")
    if(comment STREQUAL "")
      message(FATAL_ERROR "${f}: start with a comment saying what the statement does")
    endif()
    string(LENGTH "${comment}" comment_length)
    string(SUBSTRING "${sql}" ${comment_length} -1 sql)
    string(STRIP "${sql}" sql)
    string(SUBSTRING "${comment}" 2 -1 comment)
    string(REPLACE "\n--" "\n//" comment "//${comment}")
    string(APPEND body_${group}
      "${comment}inline constexpr char ${constant}[] = R\"baton_sql(${sql})baton_sql\";\n\n")
  endforeach()
  list(REMOVE_DUPLICATES groups)
  foreach(group ${groups})
    set(out ${out_dir}/${group}.h)
    file(WRITE ${out}.tmp
"// Generated from orchestrator/store/queries/${group}/*.sql. Do not edit.
#pragma once

namespace baton::store::queries::${group} {

${body_${group}}}  // namespace baton::store::queries::${group}
")
    configure_file(${out}.tmp ${out} COPYONLY)
  endforeach()
endfunction()
