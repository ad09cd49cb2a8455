# Generates a .cc defining baton::store::BuiltinMigrations() from the numbered
# SQL files in a folder, so that the binary carries its schema.
function(baton_embed_migrations out_var dir)
  file(GLOB files CONFIGURE_DEPENDS ${dir}/[0-9][0-9][0-9][0-9]_*.sql)
  list(SORT files)
  set(body "")
  foreach(f ${files})
    get_filename_component(name ${f} NAME)
    string(SUBSTRING ${name} 0 4 version)
    math(EXPR version "${version}")
    file(READ ${f} sql)
    string(APPEND body "      {${version}, \"${name}\", R\"baton_sql(${sql})baton_sql\"},\n")
  endforeach()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/migrations_embedded.cc)
  file(WRITE ${out}.tmp
"// Generated from the SQL files in orchestrator/store/migrations. Do not edit.
#include \"orchestrator/store/migrations.h\"

namespace baton::store {

const std::vector<Migration>& BuiltinMigrations() {
  static const auto* migrations = new std::vector<Migration>{
${body}  };
  return *migrations;
}

}  // namespace baton::store
")
  configure_file(${out}.tmp ${out} COPYONLY)
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
