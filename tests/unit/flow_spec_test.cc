// Pure tests of flow parsing, validation, canonical JSON, ordering and
// parameter resolution. No I/O.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/spec/flow.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/flow_spec_test_util.h"

namespace baton {
namespace {

using json = nlohmann::json;
using flow_spec_testing::FromJsonError;
using flow_spec_testing::InvalidMessage;
using flow_spec_testing::ParseError;
using flow_spec_testing::ParseOk;
using flow_spec_testing::ValidateError;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEtlYaml[] = R"yaml(name: basic-etl
description: extract -> transform -> load
parameters:
  items: {default: [1, 2, 3, 4, 5], description: "what to extract"}
  source: {required: true}
result: load
tasks:
  - name: extract
    handler: etl.extract
  - name: transform
    handler: etl.transform
    depends_on: [extract]
    queue: cpu
    config: {factor: 2}
  - name: load
    handler: etl.load
    depends_on: transform
)yaml";

constexpr char kEtlJson[] = R"json({
  "name": "basic-etl",
  "description": "extract -> transform -> load",
  "parameters": {
    "items": {"default": [1, 2, 3, 4, 5], "description": "what to extract"},
    "source": {"required": true}
  },
  "result": "load",
  "tasks": [
    {"name": "extract", "handler": "etl.extract"},
    {"name": "transform", "handler": "etl.transform",
     "depends_on": ["extract"], "queue": "cpu", "config": {"factor": 2}},
    {"name": "load", "handler": "etl.load", "depends_on": "transform"}
  ]
})json";

// A flow named "f" whose tasks list starts on line 3.
std::string Flow(absl::string_view tasks) { return absl::StrCat("name: f\ntasks:\n", tasks); }

// A flow of tasks t0..t{n-1}, written one per line in flow style.
std::string FlowWithTasks(size_t n) {
  std::string text = "name: f\ntasks:\n";
  for (size_t i = 0; i < n; ++i) {
    absl::StrAppend(&text, "  - {name: t", i, ", handler: h}\n");
  }
  return text;
}

TaskSpec Task(std::string name, std::vector<std::string> depends_on = {}) {
  TaskSpec task;
  task.name = std::move(name);
  task.handler = "h";
  task.depends_on = std::move(depends_on);
  return task;
}

FlowSpec SpecOf(std::vector<TaskSpec> tasks) {
  FlowSpec spec;
  spec.name = "f";
  spec.tasks = std::move(tasks);
  return spec;
}

// --- Parsing valid files ---------------------------------------------------

TEST(ParseFlowSpecTest, ReadsEveryFieldOfAYamlFlow) {
  FlowSpec spec = ParseOk(kEtlYaml);
  EXPECT_EQ(spec.name, "basic-etl");
  EXPECT_EQ(spec.description, "extract -> transform -> load");
  EXPECT_EQ(spec.result_task, "load");
  ASSERT_EQ(spec.parameters.size(), 2u);
  EXPECT_EQ(spec.parameters[0].name, "items");
  EXPECT_EQ(spec.parameters[0].default_value, json({1, 2, 3, 4, 5}));
  EXPECT_FALSE(spec.parameters[0].required);
  EXPECT_EQ(spec.parameters[0].description, "what to extract");
  EXPECT_EQ(spec.parameters[1].name, "source");
  EXPECT_TRUE(spec.parameters[1].default_value.is_null());
  EXPECT_TRUE(spec.parameters[1].required);
  ASSERT_EQ(spec.tasks.size(), 3u);
  EXPECT_EQ(spec.tasks[0].name, "extract");
  EXPECT_EQ(spec.tasks[0].handler, "etl.extract");
  EXPECT_TRUE(spec.tasks[0].depends_on.empty());
  EXPECT_EQ(spec.tasks[0].queue, "default");
  EXPECT_EQ(spec.tasks[0].config, json::object());
  EXPECT_THAT(spec.tasks[1].depends_on, ElementsAre("extract"));
  EXPECT_EQ(spec.tasks[1].queue, "cpu");
  EXPECT_EQ(spec.tasks[1].config, json({{"factor", 2}}));
  EXPECT_THAT(spec.tasks[2].depends_on, ElementsAre("transform"));
}

TEST(ParseFlowSpecTest, JsonTextGivesTheSameSpecAsYaml) {
  FlowSpec from_json = ParseOk(kEtlJson);
  EXPECT_EQ(FlowSpecToJson(from_json), FlowSpecToJson(ParseOk(kEtlYaml)));
}

TEST(ParseFlowSpecTest, KeepsParametersAndDependenciesInFileOrder) {
  FlowSpec spec = ParseOk(R"(name: f
parameters: {zeta: {}, alpha: {}, mid: {}}
tasks:
  - {name: c, handler: h}
  - {name: a, handler: h}
  - {name: b, handler: h, depends_on: [c, a]}
)");
  ASSERT_EQ(spec.parameters.size(), 3u);
  EXPECT_EQ(spec.parameters[0].name, "zeta");
  EXPECT_EQ(spec.parameters[2].name, "mid");
  EXPECT_THAT(spec.tasks[2].depends_on, ElementsAre("c", "a"));
}

TEST(ParseFlowSpecTest, ConvertsConfigScalarsByTheirYamlType) {
  FlowSpec spec = ParseOk(Flow(R"(  - name: t
    handler: h
    config:
      int: 123
      negative: -7
      plus: +5
      hex: 0x1F
      octal: 0o17
      float: 1.5
      exponent: 1e3
      huge: 123456789012345678901234567890
      yes_bool: true
      no_bool: False
      tilde: ~
      null_word: null
      empty:
      quoted_int: "123"
      single_quoted_bool: 'true'
      str_tag: !!str 42
      word: hello world
      version: 1.2.3
      yaml11_yes: yes
      list: [1, "2", x]
      nested: {a: {b: [true]}}
)"));
  const json& config = spec.tasks[0].config;
  EXPECT_EQ(config["int"], json(123));
  EXPECT_TRUE(config["int"].is_number_integer());
  EXPECT_EQ(config["negative"], json(-7));
  EXPECT_EQ(config["plus"], json(5));
  EXPECT_EQ(config["hex"], json(31));
  EXPECT_EQ(config["octal"], json(15));
  EXPECT_EQ(config["float"], json(1.5));
  EXPECT_TRUE(config["exponent"].is_number_float());
  EXPECT_EQ(config["exponent"], json(1000.0));
  EXPECT_TRUE(config["huge"].is_number_float());
  EXPECT_EQ(config["yes_bool"], json(true));
  EXPECT_EQ(config["no_bool"], json(false));
  EXPECT_TRUE(config["tilde"].is_null());
  EXPECT_TRUE(config["null_word"].is_null());
  EXPECT_TRUE(config["empty"].is_null());
  EXPECT_EQ(config["quoted_int"], json("123"));
  EXPECT_EQ(config["single_quoted_bool"], json("true"));
  EXPECT_EQ(config["str_tag"], json("42"));
  EXPECT_EQ(config["word"], json("hello world"));
  EXPECT_EQ(config["version"], json("1.2.3"));
  EXPECT_EQ(config["yaml11_yes"], json("yes"));
  EXPECT_EQ(config["list"], json({1, "2", "x"}));
  EXPECT_EQ(config["nested"], json::parse(R"({"a": {"b": [true]}})"));
}

TEST(ParseFlowSpecTest, ResolvesAliasesInsideConfig) {
  FlowSpec spec = ParseOk(Flow(R"(  - name: a
    handler: h
    config: &shared {retries: 3}
  - name: b
    handler: h
    config: *shared
)"));
  EXPECT_EQ(spec.tasks[1].config, json({{"retries", 3}}));
}

TEST(ParseFlowSpecTest, AcceptsEmptyDependencyListAndEmptyConfig) {
  FlowSpec spec = ParseOk(Flow("  - {name: a, handler: h, depends_on: [], config: {}}\n"));
  EXPECT_TRUE(spec.tasks[0].depends_on.empty());
  EXPECT_EQ(spec.tasks[0].config, json::object());
}

// --- Structural errors, with positions -------------------------------------

TEST(ParseFlowSpecErrorTest, DocumentedUnknownDependencyMessage) {
  constexpr char kText[] = R"(name: etl
description: the example from flow_spec.h
parameters:
  items: {default: [1, 2]}
tasks:
  - name: extract
    handler: etl.extract
  - name: transform
    handler: etl.transform
    depends_on: [extract]
  - name: load
    handler: etl.load
    queue: default
    depends_on: [ transfrom]
)";
  EXPECT_EQ(InvalidMessage(ParseFlowSpec(kText, "etl.yaml").status()),
            "etl.yaml: tasks[2].depends_on[0] (line 14, column 19): task "
            "\"load\" depends on unknown task \"transfrom\"; expected one of: "
            "extract, transform");
}

TEST(ParseFlowSpecErrorTest, YamlSyntaxErrorGivesLineAndColumn) {
  std::string message = ParseError("name: f\ntasks: [a, b\n");
  EXPECT_THAT(message, HasSubstr("flow.yaml (line "));
  EXPECT_THAT(message, HasSubstr("invalid YAML: "));
  EXPECT_THAT(message, HasSubstr("; expected well-formed YAML or JSON"));
}

TEST(ParseFlowSpecErrorTest, JsonSyntaxErrorGivesLineAndColumn) {
  std::string message = ParseError("{\n  \"name\": \"f\",\n  \"tasks\": [}\n");
  EXPECT_THAT(message, HasSubstr("flow.yaml (line 3, column "));
  EXPECT_THAT(message, HasSubstr("invalid YAML"));
}

TEST(ParseFlowSpecErrorTest, JsonTextErrorsCarryPositionsToo) {
  std::string message = ParseError(
      "{\"name\": \"f\",\n \"tasks\": [{\"name\": \"a\", \"handler\": \"h\",\n"
      "            \"depends_on\": [\"zz\"]}]}");
  EXPECT_EQ(message,
            "flow.yaml: tasks[0].depends_on[0] (line 3, column 28): task "
            "\"a\" depends on unknown task \"zz\"; expected no dependencies "
            "(the flow has no other task)");
}

TEST(ParseFlowSpecErrorTest, EmptyFile) {
  EXPECT_EQ(ParseError(""),
            "flow.yaml: the file holds no flow; expected a map with keys name "
            "and tasks");
  EXPECT_THAT(ParseError("# only a comment\n"), HasSubstr("holds no flow"));
}

TEST(ParseFlowSpecErrorTest, SeveralDocuments) {
  EXPECT_EQ(ParseError("name: a\n---\nname: b\n"),
            "flow.yaml (line 3, column 1): the file holds 2 YAML documents; "
            "expected exactly one");
}

TEST(ParseFlowSpecErrorTest, RootMustBeAMap) {
  EXPECT_EQ(ParseError("- a\n- b\n"),
            "flow.yaml (line 1, column 1): found a list; expected a flow: a "
            "map with keys name, tasks and optionally description, "
            "parameters, result, timeout, defaults");
}

TEST(ParseFlowSpecErrorTest, UnknownTopLevelKeyListsAllowedKeys) {
  EXPECT_EQ(ParseError("name: f\ntask:\n  - {name: a, handler: h}\n"),
            "flow.yaml: task (line 2, column 1): unknown key \"task\"; "
            "expected one of: name, description, parameters, result, tasks, "
            "timeout, defaults");
}

TEST(ParseFlowSpecErrorTest, UnknownTaskKeyListsAllowedKeys) {
  EXPECT_EQ(ParseError(Flow("  - name: a\n    hanlder: h\n")),
            "flow.yaml: tasks[0].hanlder (line 4, column 5): unknown key "
            "\"hanlder\"; expected one of: name, handler, depends_on, queue, "
            "config, retry, timeout, heartbeat_timeout, "
            "schedule_to_start_timeout, circuit_breaker, fallback");
}

TEST(ParseFlowSpecErrorTest, UnknownParameterKeyListsAllowedKeys) {
  EXPECT_EQ(ParseError("name: f\nparameters:\n  items: {defualt: 1}\n"
                       "tasks: [{name: a, handler: h}]\n"),
            "flow.yaml: parameters.items.defualt (line 3, column 11): unknown "
            "key \"defualt\"; expected one of: default, required, "
            "description");
}

TEST(ParseFlowSpecErrorTest, MissingRequiredKeys) {
  EXPECT_EQ(ParseError("tasks: [{name: a, handler: h}]\n"),
            "flow.yaml: name (line 1, column 1): missing required key "
            "\"name\"; expected a \"name\" key at the top level");
  EXPECT_EQ(ParseError("name: f\n"),
            "flow.yaml: tasks (line 1, column 1): missing required key "
            "\"tasks\"; expected a \"tasks\" key at the top level");
  EXPECT_EQ(ParseError(Flow("  - name: a\n    handler: h\n  - name: b\n")),
            "flow.yaml: tasks[1].handler (line 5, column 5): missing required "
            "key \"handler\"; expected a \"handler\" key in tasks[1]");
  EXPECT_THAT(ParseError(Flow("  - handler: h\n")),
              HasSubstr("tasks[0].name (line 3, column 5): missing required "
                        "key \"name\""));
}

TEST(ParseFlowSpecErrorTest, DuplicateKeys) {
  EXPECT_EQ(ParseError("name: f\nname: g\ntasks: [{name: a, handler: h}]\n"),
            "flow.yaml: name (line 2, column 1): duplicate key \"name\"; "
            "expected each key at most once");
  EXPECT_THAT(ParseError(Flow("  - {name: a, handler: h, config: {k: 1, k: 2}}\n")),
              HasSubstr("tasks[0].config.k (line 3, column 42): duplicate key \"k\""));
}

TEST(ParseFlowSpecErrorTest, WrongTypes) {
  EXPECT_EQ(ParseError("name: [f]\ntasks: [{name: a, handler: h}]\n"),
            "flow.yaml: name (line 1, column 7): found a list; expected a "
            "string");
  EXPECT_EQ(ParseError("name: f\ntasks: {name: a}\n"),
            "flow.yaml: tasks (line 2, column 8): found a map; expected a "
            "list of tasks");
  EXPECT_THAT(ParseError(Flow("  - just-a-name\n")),
              HasSubstr("tasks[0] (line 3, column 5): found a scalar; "
                        "expected a task: a map"));
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, depends_on: {x: 1}}\n")),
            "flow.yaml: tasks[0].depends_on (line 3, column 39): found a map; "
            "expected a task name or a list of task names");
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, depends_on: [[b]]}\n")),
            "flow.yaml: tasks[0].depends_on[0] (line 3, column 40): found a "
            "list; expected a string");
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, queue: ~}\n")),
            "flow.yaml: tasks[0].queue (line 3, column 34): found null; "
            "expected a string");
  EXPECT_EQ(ParseError("name: f\nparameters: [a]\ntasks: [{name: a, handler: "
                       "h}]\n"),
            "flow.yaml: parameters (line 2, column 13): found a list; "
            "expected a map of parameter names to parameters");
}

TEST(ParseFlowSpecErrorTest, EmptyValuesPointAtTheirKey) {
  EXPECT_EQ(ParseError("name:\ntasks: [{name: a, handler: h}]\n"),
            "flow.yaml: name (line 1, column 1): found null; expected a "
            "string");
  EXPECT_EQ(ParseError("name: f\ntasks:\n"),
            "flow.yaml: tasks (line 2, column 1): found null; expected a list "
            "of tasks");
  EXPECT_THAT(ParseError(Flow("  - name: a\n    handler: h\n    config:\n")),
              HasSubstr("tasks[0].config (line 5, column 5): found a JSON "
                        "null; expected a map"));
}

TEST(ParseFlowSpecErrorTest, ParameterMustBeAMapOfKnownKeys) {
  EXPECT_EQ(ParseError("name: f\nparameters:\n  items: [1, 2]\ntasks: "
                       "[{name: a, handler: h}]\n"),
            "flow.yaml: parameters.items (line 3, column 10): found a list; "
            "expected a map with optional keys default, required, "
            "description");
}

TEST(ParseFlowSpecErrorTest, RequiredMustBeAnUnquotedBool) {
  const std::string tasks = "tasks: [{name: a, handler: h}]\n";
  EXPECT_EQ(ParseError("name: f\nparameters:\n  p: {required: yes}\n" + tasks),
            "flow.yaml: parameters.p.required (line 3, column 17): found "
            "\"yes\"; expected true or false (unquoted)");
  EXPECT_THAT(ParseError("name: f\nparameters:\n  p: {required: \"true\"}\n" + tasks),
              HasSubstr("parameters.p.required (line 3, column 17): found \"true\""));
}

TEST(ParseFlowSpecErrorTest, RequiredParameterCannotHaveADefault) {
  EXPECT_EQ(ParseError("name: f\nparameters:\n  source: {required: true, "
                       "default: x}\ntasks: [{name: a, handler: h}]\n"),
            "flow.yaml: parameters.source.default (line 3, column 37): "
            "parameter \"source\" is required and also has a default; "
            "expected either required: true or a default, not both");
}

TEST(ParseFlowSpecErrorTest, ConfigMustBeAMap) {
  EXPECT_EQ(ParseError(Flow("  - name: a\n    handler: h\n    config: [1]\n")),
            "flow.yaml: tasks[0].config (line 5, column 13): found a JSON "
            "array; expected a map of option names to values");
  EXPECT_THAT(ParseError(Flow("  - {name: a, handler: h, config: 3}\n")),
              HasSubstr("tasks[0].config (line 3, column 35): found a JSON "
                        "number"));
}

TEST(ParseFlowSpecErrorTest, ConfigValuesMustBeJsonable) {
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, config: {x: .inf}}\n")),
            "flow.yaml: tasks[0].config.x (line 3, column 39): \".inf\" is "
            "not a finite number; expected a finite number, or a quoted "
            "string");
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, config: {x: !!binary aGk=}}\n")),
            "flow.yaml: tasks[0].config.x (line 3, column 39): unsupported YAML tag "
            "\"tag:yaml.org,2002:binary\"; expected a plain or quoted value (or "
            "!!str)");
  EXPECT_EQ(ParseError(Flow("  - name: a\n    handler: h\n    config:\n"
                            "      ? [k]\n      : 1\n")),
            "flow.yaml: tasks[0].config (line 6, column 9): a map key is a "
            "list; expected string keys");
}

TEST(ParseFlowSpecErrorTest, ConfigNestingIsBounded) {
  std::string deep = std::string(70, '[') + std::string(70, ']');
  EXPECT_EQ(ParseError(Flow(absl::StrCat("  - {name: a, handler: h, config: "
                                         "{x: ",
                                         deep, "}}\n"))),
            "flow.yaml: tasks[0].config (line 3, column 35): config nests "
            "more than 64 levels deep; expected at most 64 levels");
  // An alias inside its own anchor would otherwise recurse forever.
  EXPECT_THAT(ParseError(Flow("  - {name: a, handler: h, config: &c {x: *c}}\n")),
              HasSubstr("tasks[0].config (line 3, column 35): config nests more"));
}

TEST(ParseFlowSpecErrorTest, AliasBombsAreRefusedBeforeExpanding) {
  // Ten levels of ten aliases each: 10^9 copies of a 100-byte string.
  std::string flow =
      "name: f\ntasks:\n  - name: a\n    handler: h\n"
      "    config:\n";
  for (int i = 0; i < 10; ++i) {
    absl::StrAppend(&flow, "      x", i, ": &a", i, " [");
    if (i == 0) {
      absl::StrAppend(&flow, "\"", std::string(100, 'x'), "\"");
    }
    for (int j = 0; i > 0 && j < 10; ++j) {
      absl::StrAppend(&flow, j ? ", " : "", "*a", i - 1);
    }
    absl::StrAppend(&flow, "]\n");
  }
  EXPECT_EQ(ParseError(flow),
            "flow.yaml: tasks[0].config (line 6, column 7): config is larger "
            "than 65536 bytes as JSON; expected at most 65536 bytes");
}

// --- Rules on values ---------------------------------------------------------

TEST(ParseFlowSpecErrorTest, MalformedNames) {
  EXPECT_EQ(ParseError("name: bad name\ntasks: [{name: a, handler: h}]\n"),
            "flow.yaml: name (line 1, column 7): flow name \"bad name\" is not "
            "a valid name; expected 1 to 128 characters of [A-Za-z0-9_.-], "
            "starting with a letter or digit");
  EXPECT_THAT(ParseError(Flow("  - {name: -a, handler: h}\n")),
              HasSubstr("tasks[0].name (line 3, column 12): task name \"-a\" "
                        "is not a valid name; expected 1 to 128"));
  EXPECT_THAT(ParseError(Flow("  - {name: a, handler: h, queue: \"q 1\"}\n")),
              HasSubstr("tasks[0].queue (line 3, column 34): queue \"q 1\" is "
                        "not a valid name"));
  EXPECT_THAT(ParseError("name: f\nparameters: {\"a/b\": {}}\n"
                         "tasks: [{name: a, handler: h}]\n"),
              HasSubstr("parameters.a/b (line 2, column 14): parameter name "
                        "\"a/b\" is not a valid name"));
  EXPECT_THAT(ParseError("name: \"\"\ntasks: [{name: a, handler: h}]\n"),
              HasSubstr("name (line 1, column 7): flow name \"\" is not a "
                        "valid name"));
}

TEST(ParseFlowSpecErrorTest, MalformedHandler) {
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: Etl.Extract}\n")),
            "flow.yaml: tasks[0].handler (line 3, column 24): handler "
            "\"Etl.Extract\" is not a valid handler name; expected "
            "dot-separated segments of [a-z_][a-z0-9_]*, at most 128 "
            "characters (e.g. \"etl.extract\")");
  EXPECT_THAT(ParseError(Flow("  - {name: a, handler: etl..x}\n")),
              HasSubstr("handler \"etl..x\" is not a valid handler name"));
}

TEST(ParseFlowSpecErrorTest, NameLengthBound) {
  std::string ok(kMaxNameLength, 'n');
  ParseOk(Flow(absl::StrCat("  - {name: ", ok, ", handler: h}\n")));
  std::string message = ParseError(Flow(absl::StrCat("  - {name: ", ok, "x, handler: h}\n")));
  EXPECT_THAT(message, HasSubstr("tasks[0].name (line 3, column 12): task "
                                 "name \"nnnn"));
  EXPECT_THAT(message, HasSubstr("...\" is not a valid name; expected 1 to "
                                 "128 characters"));
  std::string handler = "h" + std::string(kMaxHandlerNameLength, 'x');
  EXPECT_THAT(ParseError(Flow(absl::StrCat("  - {name: a, handler: ", handler, "}\n"))),
              HasSubstr("tasks[0].handler (line 3, column 24)"));
}

TEST(ParseFlowSpecErrorTest, DescriptionBounds) {
  std::string long_text(kMaxDescriptionLength + 1, 'd');
  EXPECT_EQ(ParseError(absl::StrCat("name: f\ndescription: ", long_text,
                                    "\ntasks: [{name: a, handler: h}]\n")),
            "flow.yaml: description (line 2, column 14): description is 4097 "
            "bytes long; expected at most 4096 bytes");
  EXPECT_EQ(ParseError("name: f\ndescription: \"caf\xC3\"\n"
                       "tasks: [{name: a, handler: h}]\n"),
            "flow.yaml: description (line 2, column 14): description contains "
            "text that is not valid UTF-8; expected UTF-8 text");
}

TEST(ParseFlowSpecErrorTest, DuplicateTaskNamesNameBothIndices) {
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h}\n  - {name: b, handler: "
                            "h}\n  - {name: a, handler: h}\n")),
            "flow.yaml: tasks[2].name (line 5, column 12): task name \"a\" is "
            "already used by tasks[0]; expected unique task names");
}

TEST(ParseFlowSpecErrorTest, SelfDependency) {
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, depends_on: a}\n")),
            "flow.yaml: tasks[0].depends_on[0] (line 3, column 39): task \"a\" "
            "depends on itself; expected a dependency on another task");
}

TEST(ParseFlowSpecErrorTest, RepeatedDependency) {
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h}\n  - {name: b, handler: "
                            "h, depends_on: [a, a]}\n")),
            "flow.yaml: tasks[1].depends_on[1] (line 4, column 43): task \"b\" "
            "lists \"a\" twice (also depends_on[0]); expected each dependency "
            "listed once");
}

TEST(ParseFlowSpecErrorTest, UnknownResultTask) {
  EXPECT_EQ(ParseError("name: f\nresult: lod\ntasks:\n  - {name: extract, "
                       "handler: h}\n  - {name: load, handler: h}\n"),
            "flow.yaml: result (line 2, column 9): result names unknown task "
            "\"lod\"; expected one of: extract, load");
}

TEST(ParseFlowSpecErrorTest, EmptyTaskList) {
  EXPECT_EQ(ParseError("name: f\ntasks: []\n"),
            "flow.yaml: tasks (line 2, column 8): the flow has no tasks; "
            "expected at least one task");
}

// --- Cycles ------------------------------------------------------------------

TEST(ParseFlowSpecCycleTest, TwoTasks) {
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, depends_on: b}\n"
                            "  - {name: b, handler: h, depends_on: a}\n")),
            "flow.yaml: tasks: dependency cycle: a -> b -> a; expected "
            "dependencies that form no cycle");
}

TEST(ParseFlowSpecCycleTest, ThreeTasksInExecutionOrder) {
  // b runs after a, c after b, a after c.
  EXPECT_EQ(ParseError(Flow("  - {name: a, handler: h, depends_on: c}\n"
                            "  - {name: b, handler: h, depends_on: a}\n"
                            "  - {name: c, handler: h, depends_on: b}\n")),
            "flow.yaml: tasks: dependency cycle: a -> b -> c -> a; expected "
            "dependencies that form no cycle");
}

TEST(ParseFlowSpecCycleTest, NamesOnlyTheCycleBehindAValidPrefix) {
  std::string message =
      ParseError(Flow("  - {name: start, handler: h}\n"
                      "  - {name: x, handler: h, depends_on: [start, z]}\n"
                      "  - {name: y, handler: h, depends_on: x}\n"
                      "  - {name: z, handler: h, depends_on: y}\n"
                      "  - {name: after, handler: h, depends_on: z}\n"));
  EXPECT_THAT(message, HasSubstr("tasks: dependency cycle: x -> y -> z -> x;"));
  EXPECT_THAT(message, Not(HasSubstr("start")));
  EXPECT_THAT(message, Not(HasSubstr("after")));
}

TEST(ParseFlowSpecCycleTest, StartsAtTheEarliestTaskInTheFile) {
  EXPECT_THAT(ParseError(Flow("  - {name: c, handler: h, depends_on: b}\n"
                              "  - {name: a, handler: h, depends_on: c}\n"
                              "  - {name: b, handler: h, depends_on: a}\n")),
              HasSubstr("dependency cycle: c -> a -> b -> c;"));
}

TEST(ParseFlowSpecCycleTest, ValidateGivesTheSameMessage) {
  FlowSpec spec = SpecOf({Task("a", {"b"}), Task("b", {"a"})});
  EXPECT_EQ(ValidateError(spec),
            "spec: tasks: dependency cycle: a -> b -> a; expected "
            "dependencies that form no cycle");
}

// --- Bounds ------------------------------------------------------------------

TEST(FlowSpecBoundsTest, TaskCount) {
  ParseOk(FlowWithTasks(kMaxTasksPerFlow));
  EXPECT_EQ(ParseError(FlowWithTasks(kMaxTasksPerFlow + 1)),
            "flow.yaml: tasks (line 3, column 3): 1001 tasks; expected at "
            "most 1000");
}

TEST(FlowSpecBoundsTest, DependencyCount) {
  auto flow_depending_on = [](size_t n) {
    std::string text = FlowWithTasks(n);
    absl::StrAppend(&text, "  - name: sink\n    handler: h\n    depends_on:\n");
    for (size_t i = 0; i < n; ++i) absl::StrAppend(&text, "      - t", i, "\n");
    return text;
  };
  ParseOk(flow_depending_on(kMaxDependenciesPerTask));
  EXPECT_EQ(ParseError(flow_depending_on(kMaxDependenciesPerTask + 1)),
            "flow.yaml: tasks[101].depends_on (line 107, column 7): 101 "
            "dependencies; expected at most 100");
}

TEST(FlowSpecBoundsTest, ParameterCount) {
  auto flow_with_parameters = [](size_t n) {
    std::string text = "name: f\ntasks: [{name: a, handler: h}]\nparameters:\n";
    for (size_t i = 0; i < n; ++i) absl::StrAppend(&text, "  p", i, ": {}\n");
    return text;
  };
  ParseOk(flow_with_parameters(kMaxParameters));
  EXPECT_EQ(ParseError(flow_with_parameters(kMaxParameters + 1)),
            "flow.yaml: parameters (line 4, column 3): 101 parameters; "
            "expected at most 100");
}

TEST(FlowSpecBoundsTest, ConfigSizeIsMeasuredAsJson) {
  // {"k":"xxx..."} is 8 bytes plus the string.
  auto flow_with_config = [](size_t n) {
    return Flow(
        absl::StrCat("  - name: a\n    handler: h\n    config: {k: ", std::string(n, 'x'), "}\n"));
  };
  ParseOk(flow_with_config(kMaxTaskConfigBytes - 8));
  EXPECT_EQ(ParseError(flow_with_config(kMaxTaskConfigBytes - 7)),
            "flow.yaml: tasks[0].config (line 5, column 13): config is larger "
            "than 65536 bytes as JSON; expected at most 65536 bytes");

  FlowSpec spec = SpecOf({Task("a")});
  spec.tasks[0].config = {{"k", std::string(kMaxTaskConfigBytes - 8, 'x')}};
  EXPECT_TRUE(ValidateFlowSpec(spec, "spec").ok());
  spec.tasks[0].config["k"] = std::string(kMaxTaskConfigBytes - 7, 'x');
  EXPECT_EQ(ValidateError(spec),
            "spec: tasks[0].config: config is larger than 65536 bytes as "
            "JSON; expected at most 65536 bytes");
}

TEST(FlowSpecBoundsTest, DefaultSize) {
  std::string text = absl::StrCat(
      "name: f\nparameters:\n  big: {default: ", std::string(kMaxParameterValueBytes, 'x'),
      "}\ntasks: [{name: a, handler: h}]\n");
  EXPECT_EQ(ParseError(text),
            "flow.yaml: parameters.big.default (line 3, column 18): default is "
            "larger than 65536 bytes as JSON; expected at most 65536 bytes");
}

TEST(FlowSpecBoundsTest, FileSizeIsCheckedBeforeParsing) {
  std::string flow = Flow("  - {name: a, handler: h}\n");
  std::string padded = flow + "#" + std::string(kMaxFlowFileBytes - flow.size() - 1, 'x');
  ASSERT_EQ(padded.size(), kMaxFlowFileBytes);
  ParseOk(padded);
  // Not even YAML: refused on size alone.
  EXPECT_EQ(ParseError(std::string(kMaxFlowFileBytes + 1, '[')),
            "flow.yaml: the file is 1048577 bytes; expected at most 1048576 "
            "bytes");
}

// --- ValidateFlowSpec --------------------------------------------------------

TEST(ValidateFlowSpecTest, AcceptsAValidSpec) {
  EXPECT_TRUE(ValidateFlowSpec(ParseOk(kEtlYaml), "spec").ok());
}

TEST(ValidateFlowSpecTest, ReportsWithoutPositions) {
  FlowSpec spec = SpecOf({Task("extract"), Task("load", {"extract", "nope"})});
  EXPECT_EQ(ValidateError(spec),
            "spec: tasks[1].depends_on[1]: task \"load\" depends on unknown "
            "task \"nope\"; expected one of: extract");
}

TEST(ValidateFlowSpecTest, ChecksWhatAFileCannotExpress) {
  FlowSpec spec = SpecOf({Task("a")});
  spec.tasks[0].config = json::array();
  EXPECT_EQ(ValidateError(spec),
            "spec: tasks[0].config: found a JSON array; expected a map of "
            "option names to values");

  spec = SpecOf({Task("a")});
  spec.parameters.resize(3);
  spec.parameters[0].name = "x";
  spec.parameters[1].name = "y";
  spec.parameters[2].name = "x";
  EXPECT_EQ(ValidateError(spec),
            "spec: parameters.x: parameters[0] and parameters[2] are both "
            "named \"x\"; expected unique parameter names");

  spec = SpecOf({Task("a")});
  spec.tasks[0].config = {{"s", "\xff"}};
  EXPECT_THAT(ValidateError(spec), HasSubstr("tasks[0].config: config contains text that is not "
                                             "valid UTF-8"));
}

TEST(ValidateFlowSpecTest, EmptySpec) {
  EXPECT_THAT(ValidateError(FlowSpec()),
              HasSubstr("spec: name: flow name \"\" is not a valid name"));
  FlowSpec spec;
  spec.name = "f";
  EXPECT_EQ(ValidateError(spec), "spec: tasks: the flow has no tasks; expected at least one task");
}

// --- Canonical JSON ----------------------------------------------------------

TEST(FlowSpecJsonTest, CanonicalForm) {
  // Resilience keys at their defaults (flow_spec_resilience_test.cc has them
  // set); every task carries the same ones.
  json unset = json::parse(R"({"retry": null, "timeout_ms": 0,
      "heartbeat_timeout_ms": 0, "schedule_to_start_timeout_ms": 0})");
  json expected = json::parse(R"({
    "name": "basic-etl",
    "description": "extract -> transform -> load",
    "parameters": [
      {"name": "items", "default": [1, 2, 3, 4, 5], "required": false,
       "description": "what to extract"},
      {"name": "source", "default": null, "required": true, "description": ""}
    ],
    "result": "load",
    "tasks": [
      {"name": "extract", "handler": "etl.extract", "depends_on": [],
       "queue": "default", "config": {}},
      {"name": "transform", "handler": "etl.transform",
       "depends_on": ["extract"], "queue": "cpu", "config": {"factor": 2}},
      {"name": "load", "handler": "etl.load", "depends_on": ["transform"],
       "queue": "default", "config": {}}
    ],
    "timeout_ms": 0
  })");
  expected["defaults"] = unset;
  for (json& task : expected["tasks"]) {
    task.update(unset);
    task.update({{"circuit_breaker", nullptr}, {"fallback", ""}});
  }
  EXPECT_EQ(FlowSpecToJson(ParseOk(kEtlYaml)), expected);
}

TEST(FlowSpecJsonTest, RoundTripIsExact) {
  FlowSpec spec = ParseOk(kEtlYaml);
  spec.tasks[1].config = json::parse(
      R"({"f": 1.25, "n": -3, "u": 18446744073709551615, "s": "x", "b": false,
          "z": null, "l": [[]], "o": {}})");
  json canonical = FlowSpecToJson(spec);
  absl::StatusOr<FlowSpec> back = FlowSpecFromJson(canonical, "stored");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(FlowSpecToJson(*back), canonical);
  EXPECT_EQ(FlowSpecToJson(*back).dump(), canonical.dump());
  // Through text, as the orchestrator stores it.
  back = FlowSpecFromJson(json::parse(canonical.dump()), "stored");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(FlowSpecToJson(*back).dump(), canonical.dump());
}

TEST(FlowSpecJsonTest, FromJsonFillsOptionalKeysWithFileDefaults) {
  absl::StatusOr<FlowSpec> spec =
      FlowSpecFromJson(json::parse(R"({"name": "f", "parameters": [{"name": "p"}],
                      "tasks": [{"name": "a", "handler": "h"}]})"),
                       "stored");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->tasks[0].queue, "default");
  EXPECT_EQ(spec->tasks[0].config, json::object());
  EXPECT_FALSE(spec->parameters[0].required);
  EXPECT_TRUE(spec->parameters[0].default_value.is_null());
}

TEST(FlowSpecJsonTest, FromJsonReportsCanonicalPaths) {
  EXPECT_EQ(FromJsonError(json::array()), "stored: found a JSON array; expected a JSON object");
  EXPECT_EQ(FromJsonError(json::parse(R"({"name": "f", "tasks": [],
                                          "extra": 1})")),
            "stored: extra: unknown key \"extra\"; expected one of: name, "
            "description, parameters, result, tasks, timeout_ms, defaults");
  EXPECT_EQ(FromJsonError(json::parse(R"({"name": "f"})")),
            "stored: tasks: missing required key \"tasks\"; expected a "
            "\"tasks\" key at the top level");
  EXPECT_EQ(FromJsonError(json::parse(
                R"({"name": "f", "tasks": [{"name": "a", "handler": "h",
                    "depends_on": ["x", 2]}]})")),
            "stored: tasks[0].depends_on[1]: found a JSON number; expected a "
            "string");
  EXPECT_EQ(FromJsonError(json::parse(
                R"({"name": "f", "tasks": [{"name": "a", "handler": "h"}],
                    "parameters": [{"name": "p"},
                                   {"name": "q", "required": true,
                                    "default": 1}]})")),
            "stored: parameters[1].default: parameter \"q\" is required and "
            "also has a default; expected either required: true or a "
            "default, not both");
  EXPECT_EQ(FromJsonError(json::parse(
                R"({"name": "f", "tasks": [{"name": "a", "handler": "h"}],
                    "parameters": [{"name": "p", "required": "yes"}]})")),
            "stored: parameters[0].required: found a JSON string; expected "
            "true or false");
  EXPECT_EQ(FromJsonError(json::parse(R"({"name": "f", "tasks": {}})")),
            "stored: tasks: found a JSON object; expected a list");
}

TEST(FlowSpecJsonTest, FromJsonRunsTheGraphRules) {
  EXPECT_EQ(FromJsonError(json::parse(
                R"({"name": "f", "tasks": [
                      {"name": "a", "handler": "h", "depends_on": ["b"]},
                      {"name": "b", "handler": "h", "depends_on": ["a"]}]})")),
            "stored: tasks: dependency cycle: a -> b -> a; expected "
            "dependencies that form no cycle");
}

// --- Order and results -------------------------------------------------------

TEST(TopologicalOrderTest, ReadyTasksRunInFileOrder) {
  FlowSpec spec = SpecOf({Task("load", {"transform"}), Task("transform", {"extract"}),
                          Task("extract"), Task("report")});
  EXPECT_THAT(TopologicalOrder(spec), ElementsAre("extract", "transform", "load", "report"));
}

TEST(TopologicalOrderTest, Diamond) {
  FlowSpec spec =
      ParseOk(Flow("  - {name: d, handler: h, depends_on: [c, b]}\n"
                   "  - {name: c, handler: h, depends_on: a}\n"
                   "  - {name: b, handler: h, depends_on: a}\n"
                   "  - {name: a, handler: h}\n"));
  EXPECT_THAT(TopologicalOrder(spec), ElementsAre("a", "c", "b", "d"));
}

TEST(TopologicalOrderTest, IndependentTasksKeepFileOrder) {
  FlowSpec spec = SpecOf({Task("z"), Task("a"), Task("m")});
  EXPECT_THAT(TopologicalOrder(spec), ElementsAre("z", "a", "m"));
}

TEST(FlowResultTasksTest, ExplicitResult) {
  EXPECT_THAT(FlowResultTasks(ParseOk(kEtlYaml)), ElementsAre("load"));
}

TEST(FlowResultTasksTest, SinksInFileOrderWhenUnset) {
  FlowSpec spec = SpecOf({Task("d"), Task("a"), Task("b", {"a"}), Task("c", {"a"})});
  EXPECT_THAT(FlowResultTasks(spec), ElementsAre("d", "b", "c"));
}

// --- Parameters --------------------------------------------------------------

TEST(ResolveParametersTest, AppliesDefaultsAndOverrides) {
  FlowSpec spec = ParseOk(R"(name: f
parameters:
  items: {default: [1, 2]}
  label: {default: x}
  optional: {}
tasks: [{name: a, handler: h}]
)");
  absl::StatusOr<json> resolved = ResolveParameters(spec, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(*resolved, json::parse(R"({"items": [1, 2], "label": "x", "optional": null})"));

  resolved = ResolveParameters(spec, {{"label", "y"}, {"optional", 3}});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(*resolved, json::parse(R"({"items": [1, 2], "label": "y", "optional": 3})"));
}

TEST(ResolveParametersTest, UnknownParameterListsKnownOnes) {
  FlowSpec spec = ParseOk(kEtlYaml);
  EXPECT_EQ(InvalidMessage(ResolveParameters(spec, {{"source", 1}, {"itemz", 2}}).status()),
            "flow \"basic-etl\": parameters.itemz: unknown parameter "
            "\"itemz\"; expected one of: items, source");
  spec.parameters.clear();
  EXPECT_EQ(InvalidMessage(ResolveParameters(spec, {{"x", 1}}).status()),
            "flow \"basic-etl\": parameters.x: unknown parameter \"x\"; "
            "expected no parameters (this flow takes none)");
}

TEST(ResolveParametersTest, MissingRequiredParameter) {
  EXPECT_EQ(InvalidMessage(ResolveParameters(ParseOk(kEtlYaml), json::object()).status()),
            "flow \"basic-etl\": parameters.source: missing required "
            "parameter \"source\"; expected a value for every required "
            "parameter");
}

TEST(ResolveParametersTest, GivenMustBeAnObject) {
  FlowSpec spec = ParseOk(kEtlYaml);
  EXPECT_EQ(InvalidMessage(ResolveParameters(spec, json::array()).status()),
            "flow \"basic-etl\": parameters: run parameters are a JSON "
            "array; expected a JSON object of parameter names to values");
  EXPECT_THAT(InvalidMessage(ResolveParameters(spec, "s").status()),
              HasSubstr("run parameters are a JSON string"));
}

TEST(ResolveParametersTest, ValueSizeIsBounded) {
  FlowSpec spec = ParseOk(kEtlYaml);
  json big = std::string(kMaxParameterValueBytes, 'x');
  EXPECT_EQ(InvalidMessage(ResolveParameters(spec, {{"source", big}}).status()),
            "flow \"basic-etl\": parameters.source: value is larger than "
            "65536 bytes as JSON; expected at most 65536 bytes");
}

// --- Names -------------------------------------------------------------------

TEST(NameTest, ValidNames) {
  for (const char* name : {"a", "A", "0", "etl-1", "x.y_z", "9lives"}) {
    EXPECT_TRUE(IsValidName(name)) << name;
  }
  EXPECT_TRUE(IsValidName(std::string(kMaxNameLength, 'a')));
  for (const char* name : {"", "-a", "_a", ".a", "a b", "a/b", "ü"}) {
    EXPECT_FALSE(IsValidName(name)) << name;
  }
  EXPECT_FALSE(IsValidName(std::string(kMaxNameLength + 1, 'a')));
}

TEST(NameTest, ValidHandlerNames) {
  for (const char* handler : {"exec", "etl.extract", "_x.y_2", "a.b.c"}) {
    EXPECT_TRUE(IsValidHandlerName(handler)) << handler;
  }
  for (const char* handler : {"", ".", "a.", ".a", "a..b", "Etl", "1x", "a.2b", "a-b", "a b"}) {
    EXPECT_FALSE(IsValidHandlerName(handler)) << handler;
  }
  EXPECT_TRUE(IsValidHandlerName(std::string(kMaxHandlerNameLength, 'a')));
  EXPECT_FALSE(IsValidHandlerName(std::string(kMaxHandlerNameLength + 1, 'a')));
}

}  // namespace
}  // namespace baton
