"""Workflow manifests check user parameters; scripts render with every value quoted."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from shell_sandbox import in_sandbox, run_in_sandbox

from hpcsim.cluster.scheduler import JobRequest
from hpcsim.cluster.slurm import sbatch
from hpcsim.errors import InvalidInput, TemplateError
from hpcsim.workflows.manifest import Manifest, parse_manifest, validate_parameters
from hpcsim.workflows.render import render_script

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "templates"

MANIFEST = b"""\
name: demo
description: Every kind of parameter.
parameters:
  steps:
    type: integer
    default: 100
    min: 1
    max: 1000
  temperature:
    type: number
    default: 1.5
    min: 0
  label:
    type: string
    default: run
    max_length: 10
    pattern: '[a-z0-9-]*'
  note:
    type: string
    default: ''
  verbose:
    type: boolean
    default: false
  seed:
    type: integer
"""


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return parse_manifest(MANIFEST, "demo")


def values(manifest: Manifest, **given: Any) -> dict[str, Any]:
    return validate_parameters(manifest, {"seed": 7, **given})


def rejected(manifest: Manifest, **given: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        values(manifest, **given)
    return caught.value


# --- manifests ----------------------------------------------------------------


def test_manifest_lists_its_parameters_with_types_and_defaults(
    manifest: Manifest,
) -> None:
    declared = yaml.safe_load(MANIFEST)["parameters"]

    assert manifest.name == "demo"
    assert set(manifest.parameters) == set(declared)
    for name, spec in declared.items():
        assert manifest.parameters[name].type == spec["type"]
        assert manifest.parameters[name].default == spec.get("default")


def test_defaults_fill_the_parameters_not_given(manifest: Manifest) -> None:
    declared = yaml.safe_load(MANIFEST)["parameters"]

    filled = values(manifest)

    for name, spec in declared.items():
        if "default" in spec:
            assert filled[name] == spec["default"]
    assert filled["seed"] == 7


def test_given_values_win_over_defaults(manifest: Manifest) -> None:
    filled = values(manifest, steps=5, label="hot-2", verbose="on")

    assert (filled["steps"], filled["label"], filled["verbose"]) == (5, "hot-2", True)


def test_a_parameter_without_default_is_required(manifest: Manifest) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_parameters(manifest, {})

    assert caught.value.field == "parameters.seed"


def test_unknown_parameter_is_named_with_the_allowed_ones(manifest: Manifest) -> None:
    error = rejected(manifest, stepz=5)

    assert error.field == "parameters.stepz"
    assert "steps" in error.message


@pytest.mark.parametrize(
    ("given", "value"),
    [(5, 5), ("5", 5), (" 12 ", 12), ("-0", 0), (1000, 1000), (1, 1)],
)
def test_integers_are_read_from_numbers_and_digits(given: Any, value: int) -> None:
    manifest = parse_manifest(b"parameters:\n  n: {type: integer}\n", "w")

    assert validate_parameters(manifest, {"n": given}) == {"n": value}


@pytest.mark.parametrize("given", ["5.0", 5.5, "five", True, [5], {"n": 5}, "1e3"])
def test_integers_that_are_not_whole_numbers_are_rejected(
    manifest: Manifest, given: Any
) -> None:
    assert rejected(manifest, steps=given).field == "parameters.steps"


@pytest.mark.parametrize("given", [0, -1, 1001, "1001"])
def test_integers_outside_min_and_max_are_rejected(
    manifest: Manifest, given: Any
) -> None:
    error = rejected(manifest, steps=given)

    assert error.field == "parameters.steps"
    assert "at least" in error.message or "at most" in error.message


@pytest.mark.parametrize(("given", "value"), [(2, 2.0), ("2.5", 2.5), ("0", 0.0)])
def test_numbers_are_read_from_numbers_and_text(given: Any, value: float) -> None:
    manifest = parse_manifest(b"parameters:\n  t: {type: number}\n", "w")

    assert validate_parameters(manifest, {"t": given}) == {"t": value}


@pytest.mark.parametrize("given", ["nan", "inf", "-inf", "1e400", "hot", True, None])
def test_numbers_that_are_not_finite_numbers_are_rejected(
    manifest: Manifest, given: Any
) -> None:
    assert rejected(manifest, temperature=given).field == "parameters.temperature"


def test_numbers_below_min_are_rejected(manifest: Manifest) -> None:
    assert rejected(manifest, temperature=-0.1).field == "parameters.temperature"


@pytest.mark.parametrize(
    ("given", "value"),
    [("yes", True), ("ON", True), ("0", False), (False, False), (1, True)],
)
def test_booleans_read_the_usual_spellings(given: Any, value: bool) -> None:
    manifest = parse_manifest(b"parameters:\n  b: {type: boolean}\n", "w")

    assert validate_parameters(manifest, {"b": given}) == {"b": value}


@pytest.mark.parametrize("given", ["maybe", "2", ""])
def test_booleans_that_are_neither_are_rejected(manifest: Manifest, given: str) -> None:
    assert rejected(manifest, verbose=given).field == "parameters.verbose"


@pytest.mark.parametrize("given", ["x; touch y", "UPPER", "a b", "$(id)", "x" * 11])
def test_strings_outside_pattern_or_length_are_rejected(
    manifest: Manifest, given: str
) -> None:
    assert rejected(manifest, label=given).field == "parameters.label"


@pytest.mark.parametrize("given", ["a\nb", "a\rb", "a\x00b", ["a"], {"a": 1}, False])
def test_strings_must_be_one_line_of_text(manifest: Manifest, given: Any) -> None:
    assert rejected(manifest, note=given).field == "parameters.note"


def test_strings_take_numbers_as_their_text(manifest: Manifest) -> None:
    assert values(manifest, label=42)["label"] == "42"


def test_strings_without_pattern_take_shell_characters(manifest: Manifest) -> None:
    # Quoting at render time makes them harmless; the manifest need not refuse.
    assert values(manifest, note="x; touch y")["note"] == "x; touch y"


@pytest.mark.parametrize(
    "text",
    [
        b"- a list\n",
        b"{not yaml",
        b"parameters: [a, b]\n",
        b"parameters:\n  n: {default: 1}\n",
        b"parameters:\n  n: {type: float}\n",
        b"parameters:\n  n: integer\n",
        b"parameters:\n  1n: {type: integer}\n",
        b"parameters:\n  a-b: {type: integer}\n",
    ],
)
def test_broken_manifests_are_the_templates_fault(text: bytes) -> None:
    with pytest.raises(TemplateError):
        parse_manifest(text, "broken")


@pytest.mark.parametrize("workflow", ["lammps-melt", "sleep-exit"])
def test_example_manifests_give_their_declared_defaults(workflow: str) -> None:
    text = (EXAMPLES / workflow / "workflow.yaml").read_bytes()
    declared = yaml.safe_load(text)["parameters"]

    filled = validate_parameters(parse_manifest(text, workflow), {})

    assert filled == {name: spec["default"] for name, spec in declared.items()}


# --- rendering ----------------------------------------------------------------

HEADER = sbatch.header_lines(
    JobRequest(
        script_path="/w/e1/job.sh",
        workdir="/w/e1",
        tag="hpcsim-e1-1",
        num_nodes=2,
        time_limit="0-00:30:00",
        output_path="/w/e1/slurm-%j.out",
        error_path="/w/e1/slurm-%j.err",
        qos="normal",
    )
)

# Values a shell would act on if they reached it unquoted. Every command in them
# only creates MARKER, replaced by a file in the test's own folder: never put a
# destructive command here, since a quoting bug would run it.
HOSTILE = [
    "x; touch MARKER",
    "$(touch MARKER)",
    "`touch MARKER`",
    "x && touch MARKER",
    "line one\ntouch MARKER",
    "it's",
    '"quoted"',
    "a  b",
    "*",
    "~",
    "$HOME",
    "-n",
    "",
    "{{ params }}",
]


def run_bash(command: str, folder: Path) -> str:
    return run_in_sandbox("bash", command, folder)


def test_a_value_with_a_command_renders_as_one_quoted_word() -> None:
    template = "message={{ params.value }}\n"

    script = render_script(template, HEADER, {"value": "x; touch pwned"}, "w")

    # Only read, never run: shell words of the rendered line.
    assert shlex.split(script.splitlines()[-1]) == ["message=x; touch pwned"]


@pytest.mark.parametrize("value", HOSTILE)
def test_every_value_reaches_the_script_as_one_word(value: str, tmp_path: Path) -> None:
    value = in_sandbox(value, tmp_path)
    template = "printf '%s\\0' {{ params.value }}\n"

    script = render_script(template, HEADER, {"value": value}, "w")

    assert run_bash(script, tmp_path) == value + "\0"
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("value", HOSTILE)
def test_values_assigned_to_shell_variables_keep_their_text(
    value: str, tmp_path: Path
) -> None:
    value = in_sandbox(value, tmp_path)
    template = 'message={{ params.value }}\nprintf "%s" "$message"\n'

    script = render_script(template, HEADER, {"value": value}, "w")

    assert run_bash(script, tmp_path) == value
    assert not (tmp_path / "ran").exists()


def test_booleans_render_as_one_and_zero() -> None:
    template = "a={{ params.t }} b={{ params.f }}\n"

    script = render_script(template, [], {"t": True, "f": False}, "w")

    assert script.endswith("a=1 b=0\n")


def test_header_comes_first_then_the_template() -> None:
    template = "# the template\necho hi\n"

    script = render_script(template, HEADER, {}, "w")

    lines = script.splitlines()
    assert lines[0] == "#!/bin/bash"
    assert lines[1 : 1 + len(HEADER)] == HEADER
    assert script.endswith(template)


def test_all_directives_come_before_the_first_command() -> None:
    # sbatch stops reading #SBATCH lines at the first line that is a command.
    text = (EXAMPLES / "sleep-exit" / "run.sh.j2").read_text()
    params = {"seconds": 1, "exit_code": 0, "message": "hello"}

    lines = render_script(text, HEADER, params, "sleep-exit").splitlines()

    first_command = next(
        i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")
    )
    directives = [i for i, line in enumerate(lines) if line.startswith("#SBATCH")]
    assert len(directives) == len(HEADER)
    assert max(directives) < first_command


@pytest.mark.parametrize(
    "line",
    [
        "#SBATCH --nodes=100",
        "  #SBATCH --qos=high",
        "#PBS -l nodes=4",
        "#!/bin/sh",
        "\t#!/usr/bin/env python",
    ],
)
def test_templates_that_set_scheduler_options_are_refused(line: str) -> None:
    template = f"echo before\n{line}\necho after\n"

    with pytest.raises(TemplateError) as caught:
        render_script(template, HEADER, {}, "w")

    assert line.split()[0].strip() in caught.value.message


def test_plain_comments_in_templates_are_allowed() -> None:
    template = "# SBATCH is set by the service\n#comment\necho ok\n"

    assert render_script(template, HEADER, {}, "w").endswith(template)


@pytest.mark.parametrize(
    "template",
    [
        "echo {{ params.missing }}\n",
        "echo {{ params.__class__.__mro__ }}\n",
        "echo {{ ''.__class__.__subclasses__() }}\n",
        "echo {{ unclosed\n",
    ],
)
def test_templates_that_cannot_render_safely_are_refused(template: str) -> None:
    with pytest.raises(TemplateError):
        render_script(template, HEADER, {}, "w")


@pytest.mark.parametrize("workflow", ["lammps-melt", "sleep-exit"])
def test_example_templates_render_to_valid_bash(workflow: str) -> None:
    folder = EXAMPLES / workflow
    manifest = parse_manifest((folder / "workflow.yaml").read_bytes(), workflow)
    params = validate_parameters(manifest, {})

    script = render_script((folder / "run.sh.j2").read_text(), HEADER, params, workflow)

    subprocess.run(["bash", "-n"], input=script, text=True, check=True)
    for value in params.values():
        assert str(value) in script
