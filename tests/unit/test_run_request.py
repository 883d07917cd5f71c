"""The fields of a run call, checked one by one with errors that name each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hpcsim.errors import InvalidInput
from hpcsim.lifecycle.run_request import parse_bool, parse_run_request

BASE = {
    "MachineChoice": "dev",
    "SecToken": "hst_abc",
    "NumNodes": "1",
    "ExecTime": "30",
}


def run(description: bytes | None = None, **fields: Any) -> Any:
    return parse_run_request({**BASE, **fields}, description)


def rejected(description: bytes | None = None, **fields: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        run(description, **fields)
    return caught.value


# --- booleans -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["true", "TRUE", "True", "1", "on", "ON", "yes", "Yes", " true ", "\ton\n"]
)
def test_booleans_read_every_true_spelling_forms_send(text: str) -> None:
    assert parse_bool(text, "Checkpointing") is True


@pytest.mark.parametrize(
    "text", ["false", "FALSE", "0", "off", "Off", "no", "NO", "  no  "]
)
def test_booleans_read_every_false_spelling_forms_send(text: str) -> None:
    assert parse_bool(text, "Checkpointing") is False


@pytest.mark.parametrize(("value", "expected"), [(None, False), (True, True)])
def test_booleans_absent_are_false_and_json_booleans_stay(
    value: bool | None, expected: bool
) -> None:
    assert parse_bool(value, "Checkpointing") is expected


@pytest.mark.parametrize("field", ["Checkpointing", "Autorestart"])
@pytest.mark.parametrize("text", ["maybe", "2", "y", "truee", "null"])
def test_booleans_that_are_neither_are_rejected_naming_the_field(
    field: str, text: str
) -> None:
    error = rejected(**{field: text})

    assert error.field == field
    assert field in error.message


def test_absent_booleans_leave_checkpointing_and_autorestart_off() -> None:
    request = run()

    assert request.checkpointing is False
    assert request.autorestart is False


def test_autorestart_turns_checkpointing_on() -> None:
    request = run(Autorestart="on")

    assert request.autorestart is True
    assert request.checkpointing is True


def test_autorestart_turns_checkpointing_on_even_when_it_was_off() -> None:
    assert run(Autorestart="yes", Checkpointing="off").checkpointing is True


def test_checkpointing_alone_does_not_turn_autorestart_on() -> None:
    request = run(Checkpointing="1")

    assert request.checkpointing is True
    assert request.autorestart is False


# --- required fields and numbers ----------------------------------------------


@pytest.mark.parametrize("field", ["MachineChoice", "SecToken", "NumNodes", "ExecTime"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_required_fields_are_named(field: str, value: str | None) -> None:
    error = rejected(**{field: value})

    assert error.field == field


@pytest.mark.parametrize(
    "value", ["0", "-1", "1.5", "abc", "1e3", "0x10", "٣", "100001", "1 2"]
)
def test_node_counts_that_are_not_positive_whole_numbers_are_rejected(
    value: str,
) -> None:
    assert rejected(NumNodes=value).field == "NumNodes"


@pytest.mark.parametrize(("value", "nodes"), [("1", 1), (" 4 ", 4), ("100000", 100000)])
def test_node_counts_are_read_as_numbers(value: str, nodes: int) -> None:
    assert run(NumNodes=value).num_nodes == nodes


def test_time_limit_in_minutes_is_read_as_sbatch_reads_it() -> None:
    assert run(ExecTime="30").time_limit_seconds == 30 * 60


@pytest.mark.parametrize("value", ["1.5", "0", "-5", "1:60"])
def test_bad_time_limits_name_exec_time(value: str) -> None:
    assert rejected(ExecTime=value).field == "ExecTime"


@pytest.mark.parametrize("value", ["0", "101", "x"])
def test_max_attempts_out_of_range_is_rejected(value: str) -> None:
    assert rejected(MaxAttempts=value).field == "MaxAttempts"


def test_max_attempts_absent_is_left_to_the_defaults() -> None:
    assert run().max_attempts is None
    assert run(MaxAttempts="3").max_attempts == 3


@pytest.mark.parametrize("field", ["MachineChoice", "SecToken"])
def test_identifiers_with_control_characters_are_rejected(field: str) -> None:
    assert rejected(**{field: "dev\x00x"}).field == field


# --- Slurm names --------------------------------------------------------------


@pytest.mark.parametrize("field", ["QoS", "Account"])
@pytest.mark.parametrize(
    "value",
    [
        "normal;touch pwned",
        "-x",
        "--qos=high",
        "$(id)",
        "`id`",
        "a b",
        "a\nb",
        "a,b",
        "normal'",
        "x" * 65,
    ],
)
def test_qos_and_account_outside_slurms_name_characters_are_rejected(
    field: str, value: str
) -> None:
    assert rejected(**{field: value}).field == field


@pytest.mark.parametrize("field", ["QoS", "Account"])
@pytest.mark.parametrize("value", ["normal", "high_prio", "proj-1.v2", "x" * 64])
def test_plain_qos_and_account_names_are_kept(field: str, value: str) -> None:
    request = run(**{field: value})

    assert getattr(request, field.lower()) == value


def test_empty_qos_and_account_mean_none() -> None:
    request = run(QoS="", Account="  ")

    assert request.qos is None
    assert request.account is None


# --- branch and workflow ------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "--upload-pack=x",
        "-b",
        "../x",
        "a..b",
        "x.lock",
        ".hidden",
        "a/.b",
        "a//b",
        "a/",
        "a.",
        "a@{1}",
        "a b",
        "a;b",
        "a~1",
        "a^",
        "a:b",
        "x" * 101,
    ],
)
def test_branches_that_are_not_plain_names_are_rejected(value: str) -> None:
    assert rejected(Branch=value).field == "Branch"


@pytest.mark.parametrize("value", ["main", "stable", "feature/melt-2", "release-1.2"])
def test_plain_branch_names_are_kept(value: str) -> None:
    assert run(Branch=value).branch == value


def test_absent_branch_means_the_default_branch() -> None:
    assert run().branch is None


@pytest.mark.parametrize(
    "value", ["../etc", "a/b", "-x", "_x", ".x", "a.b", "a b", "x" * 65]
)
def test_workflow_names_that_are_not_template_names_are_rejected(value: str) -> None:
    assert rejected(Workflow=value).field == "Workflow"


@pytest.mark.parametrize("value", ["lammps-melt", "sleep_exit2", "A1"])
def test_template_names_are_kept(value: str) -> None:
    assert run(Workflow=value).workflow == value


# --- name ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a\x00b", "a\nb", "a\tb", "a\x1b[31mb", "a\x7fb"])
def test_names_with_control_characters_are_rejected(value: str) -> None:
    assert rejected(Name=value).field == "Name"


def test_names_longer_than_a_hundred_characters_are_rejected() -> None:
    assert rejected(Name="n" * 101).field == "Name"


@pytest.mark.parametrize("value", ["melt run #2", "Schmelze №1 (Δt=0.5)", "n" * 100])
def test_printable_names_are_kept(value: str) -> None:
    assert run(Name=value).name == value


def test_blanks_around_a_name_are_dropped() -> None:
    assert run(Name="  melt  ").name == "melt"


# --- the YAML description -----------------------------------------------------


def test_description_gives_workflow_and_parameters() -> None:
    document = b"workflow_type: sleep-exit\nparameters:\n  seconds: 5\n  message: hi\n"

    request = run(document)

    assert request.workflow == "sleep-exit"
    assert request.parameters == {"seconds": 5, "message": "hi"}
    assert request.description == document.decode()


def test_description_may_name_the_workflow_as_workflow() -> None:
    assert run(b"workflow: lammps-melt\n").workflow == "lammps-melt"


def test_workflow_field_wins_over_the_description() -> None:
    request = run(b"workflow_type: sleep-exit\n", Workflow="lammps-melt")

    assert request.workflow == "lammps-melt"


def test_workflow_named_in_the_description_is_checked_like_the_field() -> None:
    assert rejected(b"workflow_type: ../../etc\n").field == "Workflow"


@pytest.mark.parametrize("document", [None, b"", b"~\n", b"# nothing\n"])
def test_empty_description_gives_no_parameters(document: bytes | None) -> None:
    request = run(document)

    assert request.parameters == {}
    assert request.workflow is None


@pytest.mark.parametrize(
    "document",
    [
        b"- a\n- b\n",
        b"just a string\n",
        b"42\n",
        b"parameters: [1, 2]\n",
        b"parameters: steps\n",
        b"workflow_type: [a]\n",
        b"workflow_type: 5\n",
        b"{unclosed: \n",
        b"\xff\xfe not utf-8",
    ],
)
def test_descriptions_that_are_not_a_workflow_mapping_are_rejected(
    document: bytes,
) -> None:
    assert rejected(document).field == "document"


@pytest.mark.parametrize(
    "node",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/apply:subprocess.call [['touch', '{marker}']]",
    ],
)
def test_descriptions_with_python_tags_are_rejected_not_run(
    node: str, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    document = f"parameters:\n  x: {node.format(marker=marker)}\n".encode()

    assert rejected(document).field == "document"
    assert not marker.exists()


def test_descriptions_naming_python_objects_are_rejected() -> None:
    assert rejected(b"parameters:\n  x: !!python/name:os.system\n").field == "document"


def test_parameter_names_are_read_as_text() -> None:
    assert run(b"parameters:\n  1: 2\n").parameters == {"1": 2}
