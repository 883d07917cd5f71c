"""Slurm's answers, as captured on the dev cluster, read into typed results."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shell_sandbox import in_sandbox, run_in_sandbox
from slurm_captures import read_capture

from hpcsim.cluster.commands import CommandResult, to_shell
from hpcsim.cluster.scheduler import JobRequest
from hpcsim.cluster.slurm import sacct, sbatch, scancel, scontrol, squeue
from hpcsim.cluster.slurm.errors import is_unavailable
from hpcsim.errors import (
    CommandFailed,
    InvalidInput,
    SchedulerUnavailable,
    SubmissionRejected,
)
from hpcsim.lifecycle.run_request import parse_run_request

# Values a shell would act on if they reached it unquoted. Every command in them
# only creates MARKER, replaced by a file in the test's own folder: never put a
# destructive command here, since a quoting bug would run it.
HOSTILE = [
    "$(touch MARKER)",
    "`touch MARKER`",
    "a; touch MARKER",
    "a && touch MARKER",
    "a | touch MARKER",
    "line one\ntouch MARKER",
    "it's",
    '"double"',
    "a b\tc",
    "*",
    "~",
    "$HOME",
    "--option=value",
    "",
    "back\\slash",
    "semi;colon|pipe&amp>redirect<",
]


def run_shell(command: str, folder: Path) -> str:
    return run_in_sandbox("sh", command, folder)


def ok(stdout: str, stderr: str = "") -> CommandResult:
    return CommandResult(stdout, stderr, 0)


def failed(stderr: str, exit_status: int = 1) -> CommandResult:
    return CommandResult("", stderr, exit_status)


def request(**changes: object) -> JobRequest:
    values: dict[str, object] = {
        "script_path": "/work/hpcsim/executions/e1/job.sh",
        "workdir": "/work/hpcsim/executions/e1",
        "tag": "hpcsim-e1-1",
        "num_nodes": 2,
        "time_limit": "0-01:00:00",
        "output_path": "/work/hpcsim/executions/e1/slurm-%j.out",
        "error_path": "/work/hpcsim/executions/e1/slurm-%j.err",
    }
    values.update(changes)
    return JobRequest(**values)  # type: ignore[arg-type]


# --- sbatch -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "job_id"),
    [
        ("sbatch_parsable", "1"),
        ("sbatch_plain", "2"),
        ("sbatch_parsable_failing_job", "3"),
        ("sbatch_parsable_job_name", "4"),
        ("sbatch_too_many_nodes_no_enforce_part_limits", "5"),
        ("sbatch_invalid_qos", "6"),
        ("sbatch_plain_too_many_nodes_no_enforce_part_limits", "7"),
    ],
)
def test_submission_gives_the_job_id_sbatch_printed(name: str, job_id: str) -> None:
    assert sbatch.parse_job_id(read_capture(name)) == job_id


@pytest.mark.parametrize(
    "stdout",
    [
        "4242\n",
        "4242;cluster-a\n",
        "Submitted batch job 4242\n",
        "Submitted batch job 4242 on cluster cluster-a\n",
        "Welcome to the cluster!\nQuota: 80% used\nSubmitted batch job 4242\n",
        "*** maintenance on Friday ***\n4242;cluster-a\n",
        "  4242  \r\n",
    ],
)
def test_submission_reads_the_job_id_in_every_form_sbatch_prints(stdout: str) -> None:
    assert sbatch.parse_job_id(ok(stdout)) == "4242"


def test_submission_with_warnings_on_stderr_still_gives_the_job_id() -> None:
    result = ok(
        "4242\n",
        "sbatch: warning: can't honor --ntasks-per-node set to 4 which doesn't "
        "match the requested tasks 2 with the number of requested nodes 2.\n",
    )

    assert sbatch.parse_job_id(result) == "4242"


def test_submission_without_a_job_id_in_the_output_is_rejected() -> None:
    with pytest.raises(SubmissionRejected, match="no job id"):
        sbatch.parse_job_id(ok("Welcome to the cluster!\n"))


@pytest.mark.parametrize(
    ("name", "slurm_says"),
    [
        ("sbatch_invalid_time_abc", "Invalid --time specification"),
        ("sbatch_invalid_time_negative", "Invalid --time specification"),
        ("sbatch_plain_invalid_time", "Invalid --time specification"),
        ("sbatch_too_many_nodes", "Node count specification invalid"),
        ("sbatch_plain_too_many_nodes", "Node count specification invalid"),
        ("sbatch_too_many_tasks", "More processors requested than permitted"),
        ("sbatch_too_much_memory", "Memory specification can not be satisfied"),
        ("sbatch_too_much_memory", "Requested node configuration is not available"),
    ],
)
def test_refused_submission_is_rejected_with_slurms_own_message(
    name: str, slurm_says: str
) -> None:
    with pytest.raises(SubmissionRejected) as caught:
        sbatch.parse_job_id(read_capture(name))

    assert slurm_says in caught.value.message
    assert not caught.value.transient


@pytest.mark.parametrize(
    "stderr",
    [
        "sbatch: error: Batch job submission failed: Unable to contact slurm "
        "controller (connect failure)\n",
        "sbatch: error: Batch job submission failed: Socket timed out on "
        "send/recv operation\n",
        "sbatch: error: Slurm temporarily unable to accept job, sleeping and "
        "retrying\nsbatch: error: Batch job submission failed: Resource "
        "temporarily unavailable\n",
    ],
)
def test_submission_to_an_unreachable_controller_is_a_transient_error(
    stderr: str,
) -> None:
    # Slurm's wording, written here by hand: the dev cluster's controller was up.
    with pytest.raises(SchedulerUnavailable) as caught:
        sbatch.parse_job_id(failed(stderr))

    assert caught.value.transient
    assert "Slurm" in caught.value.message


def test_submission_argv_keeps_each_value_one_argument() -> None:
    hostile = "x; touch pwned $(id)"
    job = request(
        script_path=f"/work/{hostile}/job.sh",
        tag=f"hpcsim {hostile}",
        environment={"HPCSIM_EXECUTION_DIR": f"/work/{hostile}"},
    )

    argv = sbatch.build_argv(job)

    assert argv[0] == "sbatch"
    assert argv[-1] == job.script_path
    assert f"--job-name={job.tag}" in argv
    assert f"--export=ALL,HPCSIM_EXECUTION_DIR=/work/{hostile}" in argv
    assert shlex.split(to_shell(argv)) == argv


def test_batch_header_gives_each_option_its_own_directive() -> None:
    job = request(qos="normal", account="proj-1", signal_lead_seconds=90)

    lines = sbatch.header_lines(job)

    assert all(line.startswith("#SBATCH --") for line in lines)
    options = [line.removeprefix("#SBATCH ") for line in lines]
    assert "--qos=normal" in options
    assert "--account=proj-1" in options
    assert "--nodes=2" in options
    assert "--time=0-01:00:00" in options
    assert "--signal=B:USR1@90" in options
    assert all(len(shlex.split(option)) == 1 for option in options)


RUN_FIELDS = {"MachineChoice": "m", "SecToken": "t", "NumNodes": "1", "ExecTime": "5"}


@pytest.mark.parametrize(
    "qos",
    ["high prio", "normal --account=other", "normal\n#SBATCH --nodes=999", "-p"],
)
def test_a_qos_that_would_split_its_directive_never_reaches_the_script(
    qos: str,
) -> None:
    # sbatch splits #SBATCH lines at blanks; the run request is what stops these.
    with pytest.raises(InvalidInput) as caught:
        parse_run_request({**RUN_FIELDS, "QoS": qos}, None)

    assert caught.value.field == "QoS"


@pytest.mark.parametrize("qos", ["normal", "high_prio", "gpu.long-2"])
def test_an_accepted_qos_is_one_sbatch_option(qos: str) -> None:
    checked = parse_run_request({**RUN_FIELDS, "QoS": qos}, None).qos

    lines = sbatch.header_lines(request(qos=checked))

    (line,) = (line for line in lines if "--qos" in line)
    assert shlex.split(line) == ["#SBATCH", f"--qos={qos}"]


def test_batch_header_leaves_out_options_that_were_not_asked_for() -> None:
    options = " ".join(sbatch.header_lines(request()))

    assert "--qos" not in options
    assert "--account" not in options
    assert "--signal" not in options


# --- squeue -------------------------------------------------------------------


def squeue_answer(name: str) -> CommandResult:
    """Return a capture cut to the columns of `squeue.FIELDS`.

    The captures asked for two more columns at the end (`%M|%l`, time used and
    time limit) than the parser's format, which ends with the job name.
    """
    result = read_capture(name)
    lines = ["|".join(line.split("|")[:7]) for line in result.stdout.splitlines()]
    return CommandResult("\n".join(lines) + "\n", result.stderr, result.exit_status)


def test_queue_lists_every_job_of_the_capture() -> None:
    jobs = squeue.parse(squeue_answer("squeue_mixed"))

    assert sorted(jobs, key=int) == [str(n) for n in range(1, 15)]
    assert all(jobs[job_id].job_id == job_id for job_id in jobs)


@pytest.mark.parametrize(
    ("job_id", "state", "reason", "name"),
    [
        ("9", "CANCELLED", None, "sleep300.sh"),
        ("1", "COMPLETED", None, "ok.sh"),
        ("4", "COMPLETED", None, "hpcsim-x-1"),
        ("3", "FAILED", "NonZeroExitCode", "fail3.sh"),
        ("8", "FAILED", "BadConstraints", "ok.sh"),
        ("5", "CANCELLED", "PartitionNodeLimit", "ok.sh"),
        ("12", "PENDING", "BeginTime", "ok.sh"),
        ("13", "PENDING", "JobHeldUser", "ok.sh"),
        ("14", "PENDING", "Resources", "ok.sh"),
        ("11", "RUNNING", None, "sleep300.sh"),
    ],
)
def test_queue_gives_each_jobs_state_reason_and_name(
    job_id: str, state: str, reason: str | None, name: str
) -> None:
    job = squeue.parse(squeue_answer("squeue_mixed"))[job_id]

    assert (job.state, job.reason, job.name) == (state, reason, name)


def test_queue_gives_the_times_of_a_running_job() -> None:
    job = squeue.parse(squeue_answer("squeue_mixed"))["10"]

    assert job.submitted_at == datetime(2026, 12, 3, 16, 15, 26, tzinfo=UTC)
    assert job.started_at == datetime(2026, 12, 3, 16, 15, 27, tzinfo=UTC)
    assert job.ended_at == datetime(2026, 12, 3, 16, 16, 27, tzinfo=UTC)


def test_queue_reads_none_and_not_applicable_times_as_unknown() -> None:
    jobs = squeue.parse(squeue_answer("squeue_mixed"))

    # Job 12 waits for its begin time: a start is planned, no end ("NONE").
    assert jobs["12"].started_at == datetime(2026, 12, 3, 17, 15, 27, tzinfo=UTC)
    assert jobs["12"].ended_at is None
    # Job 13 is held: neither start nor end is known ("N/A").
    assert jobs["13"].submitted_at == datetime(2026, 12, 3, 16, 15, 27, tzinfo=UTC)
    assert jobs["13"].started_at is None
    assert jobs["13"].ended_at is None


def test_queue_parses_every_captured_listing_alike() -> None:
    mixed = squeue.parse(squeue_answer("squeue_mixed"))
    for name in ("squeue_jobs_list", "squeue_partition_node_limit"):
        for job_id, job in squeue.parse(squeue_answer(name)).items():
            assert job.submitted_at == mixed[job_id].submitted_at
            assert job.name == mixed[job_id].name


def test_queue_keeps_a_job_name_that_holds_the_separator() -> None:
    line = "77|RUNNING|None|2026-12-03T16:15:26|2026-12-03T16:15:27|NONE|a|b|c\n"

    job = squeue.parse(ok(line))["77"]

    assert job.name == "a|b|c"
    assert job.state == "RUNNING"


def test_queue_ignores_blank_and_broken_lines() -> None:
    jobs = squeue.parse(ok("\n  \nslurm banner without columns\n"))

    assert jobs == {}


def test_queue_argv_asks_one_users_jobs_in_the_parsers_format() -> None:
    argv = squeue.build_argv("alice")

    assert argv[argv.index("squeue") - 1] == "SLURM_TIME_FORMAT=%s"
    assert "--user=alice" in argv
    assert f"--format={squeue.FIELDS}" in argv
    assert "--noheader" in argv
    assert squeue.FIELDS.count("|") == 6


def test_lookup_by_tag_gives_the_newest_job_of_each_name() -> None:
    captured = read_capture("squeue_mixed").stdout.splitlines()
    # The id and name columns of the capture, as `--format=%i|%j` prints them.
    answer = "\n".join(f"{c[0]}|{c[6]}" for c in (x.split("|") for x in captured))

    found = squeue.parse_tags(ok(answer))

    assert found["ok.sh"] == "14"
    assert found["sleep300.sh"] == "11"
    assert found["hpcsim-x-1"] == "4"


def test_lookup_by_tag_puts_all_tags_in_one_argument() -> None:
    argv = squeue.build_tag_argv(["hpcsim-a-1", "hpcsim-b-2"])

    assert "--name=hpcsim-a-1,hpcsim-b-2" in argv
    assert "--states=all" in argv


def test_queue_query_for_an_unknown_job_is_a_command_failure() -> None:
    with pytest.raises(CommandFailed) as caught:
        squeue.parse(read_capture("squeue_invalid_job"))

    assert not isinstance(caught.value, SchedulerUnavailable)
    assert caught.value.exit_status == 1
    assert "Invalid job id specified" in caught.value.message


@pytest.mark.parametrize(
    "parse", [squeue.parse, squeue.parse_tags, scontrol.parse, sacct.parse]
)
@pytest.mark.parametrize(
    "stderr",
    [
        "slurm_load_jobs error: Unable to contact slurm controller (connect failure)",
        "slurm_load_jobs error: Socket timed out on send/recv operation",
        "sacct: error: slurm_persist_conn_open_without_init: failed to open "
        "persistent connection to host:localhost:6819: Connection refused",
    ],
)
def test_queries_to_an_unreachable_controller_are_transient_errors(
    parse: Callable[[CommandResult], object], stderr: str
) -> None:
    # Slurm's wording, written here by hand: the dev cluster's controller was up.
    with pytest.raises(SchedulerUnavailable) as caught:
        parse(failed(stderr + "\n"))

    assert caught.value.transient


# --- scontrol -----------------------------------------------------------------


def test_controller_listing_gives_every_job_of_the_capture() -> None:
    jobs = scontrol.parse(read_capture("scontrol_show_job_oneliner_all"))

    assert sorted(jobs, key=int) == [str(n) for n in range(1, 15)]


@pytest.mark.parametrize(
    ("name", "state", "exit_code"),
    [
        ("scontrol_show_job_completed", "COMPLETED", 0),
        ("scontrol_show_job_completed_after_wait", "COMPLETED", 0),
        ("scontrol_show_job_failed", "FAILED", 3),
        ("scontrol_show_job_cancelled_while_running", "CANCELLED", 128 + 15),
        ("scontrol_show_job_timeout", "TIMEOUT", 128 + 15),
        ("scontrol_show_job_running", "RUNNING", 0),
        ("scontrol_show_job_pending_begin", "PENDING", 0),
        ("scontrol_show_job_pending_held", "PENDING", 0),
        ("scontrol_show_job_partition_node_limit", "PENDING", 0),
        ("scontrol_show_job_rejected_memory", "FAILED", 128 + 1),
        ("scontrol_show_job_invalid_qos", "COMPLETED", 0),
    ],
)
def test_controller_gives_a_jobs_state_and_exit_code(
    name: str, state: str, exit_code: int
) -> None:
    (job,) = scontrol.parse(read_capture(name)).values()

    assert job.state == state
    assert job.exit_code == exit_code


def test_controller_single_job_answers_agree_with_the_full_listing() -> None:
    everything = scontrol.parse(read_capture("scontrol_show_job_oneliner_all"))
    for name in ("scontrol_show_job_completed", "scontrol_show_job_failed"):
        (job,) = scontrol.parse(read_capture(name)).values()
        assert everything[job.job_id] == job


def test_controller_gives_reason_name_and_times() -> None:
    jobs = scontrol.parse(read_capture("scontrol_show_job_oneliner_all"))

    assert jobs["1"].reason is None
    assert jobs["3"].reason == "NonZeroExitCode"
    assert jobs["13"].reason == "JobHeldUser"
    assert jobs["13"].started_at is None  # "Unknown"
    assert jobs["13"].ended_at is None
    (timed_out,) = scontrol.parse(read_capture("scontrol_show_job_timeout")).values()
    assert timed_out.name == "sleep200.sh"
    assert timed_out.submitted_at == datetime(2026, 12, 3, 16, 15, 26, tzinfo=UTC)
    assert timed_out.started_at == datetime(2026, 12, 3, 16, 15, 27, tzinfo=UTC)
    assert timed_out.ended_at == datetime(2026, 12, 3, 16, 16, 40, tzinfo=UTC)


def test_controller_fields_keep_odd_keys_and_empty_values() -> None:
    line = read_capture("scontrol_show_job_partition_node_limit").stdout

    fields = scontrol.parse_fields(line)

    assert fields["AllocNode:Sid"] == "localhost:10818"
    assert fields["CPUs/Task"] == "1"
    assert fields["ReqB:S:C:T"] == "0:0:*:*"
    assert fields["TRES"] == "cpu=2,mem=48210M,node=2,billing=2"
    assert fields["NodeList"] == ""
    assert fields["NumNodes"] == "2-2"
    assert fields["Power"] == ""


def test_controller_fields_keep_values_that_hold_spaces() -> None:
    real = read_capture("scontrol_show_job_running").stdout
    line = real.replace("JobName=sleep300.sh", "JobName=melt run 2").replace(
        "Reason=None", "Reason=launch failed requeued held"
    )

    fields = scontrol.parse_fields(line)

    assert fields["JobName"] == "melt run 2"
    assert fields["Reason"] == "launch failed requeued held"
    assert fields["UserId"] == "hpcsim(1001)"
    assert fields["JobState"] == "RUNNING"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0:0", 0),
        ("3:0", 3),
        ("255:0", 255),
        ("0:15", 143),
        ("0:9", 137),
        (None, None),
        ("", None),
        ("N/A", None),
        ("x:0", None),
    ],
)
def test_exit_code_reads_slurms_code_and_signal_form(
    text: str | None, code: int | None
) -> None:
    assert scontrol.parse_exit_code(text) == code


def test_controller_query_for_an_unknown_job_is_a_command_failure() -> None:
    with pytest.raises(CommandFailed) as caught:
        scontrol.parse(read_capture("scontrol_show_job_invalid_id"))

    assert not caught.value.transient
    assert "Invalid job id specified" in caught.value.message


def test_controller_argv_asks_for_one_line_per_job() -> None:
    assert scontrol.build_argv()[-4:] == ["scontrol", "--oneliner", "show", "job"]


# --- sacct --------------------------------------------------------------------

# Hand-written: the dev cluster keeps no accounting, so this answer was never
# captured. It is what `sacct --noheader --parsable2 --format=<FORMAT>` prints
# when `--allocations` is left out: each job's steps follow its allocation.
SUBMIT, START, END = "2026-12-03T16:15:22", "2026-12-03T16:15:23", "2026-12-03T16:16:40"
SACCT_ROWS = [
    ("101", "hpcsim-aa-1", "COMPLETED", "0:0", SUBMIT, START, END),
    ("101.batch", "batch", "COMPLETED", "0:0", START, START, END),
    ("101.extern", "extern", "COMPLETED", "0:0", START, START, END),
    ("102", "hpcsim-bb-1", "FAILED", "3:0", SUBMIT, START, END),
    ("102.batch", "batch", "FAILED", "3:0", START, START, END),
    ("102.extern", "extern", "COMPLETED", "0:0", START, START, END),
    ("103", "hpcsim-cc-1", "TIMEOUT", "0:0", SUBMIT, START, END),
    ("103.batch", "batch", "CANCELLED", "0:15", START, START, END),
    ("103.extern", "extern", "COMPLETED", "0:0", START, START, END),
    ("104", "hpcsim-dd-1", "CANCELLED by 1001", "0:15", SUBMIT, START, END),
    ("104.batch", "batch", "CANCELLED", "0:15", START, START, END),
    ("105", "hpcsim-ee-1", "PENDING", "0:0", SUBMIT, "Unknown", "Unknown"),
]
SACCT_ANSWER = "".join("|".join(row) + "\n" for row in SACCT_ROWS)


def test_accounting_gives_the_allocation_record_of_each_job() -> None:
    jobs = sacct.parse(ok(SACCT_ANSWER))

    assert sorted(jobs) == ["101", "102", "103", "104", "105"]
    assert jobs["101"].name == "hpcsim-aa-1"


@pytest.mark.parametrize(
    ("job_id", "state", "exit_code"),
    [
        ("101", "COMPLETED", 0),
        ("102", "FAILED", 3),
        ("103", "TIMEOUT", 0),
        ("104", "CANCELLED by 1001", 143),
        ("105", "PENDING", 0),
    ],
)
def test_accounting_reads_state_from_the_allocation_not_its_steps(
    job_id: str, state: str, exit_code: int
) -> None:
    job = sacct.parse(ok(SACCT_ANSWER))[job_id]

    assert (job.state, job.exit_code) == (state, exit_code)


def test_accounting_reads_times_and_unknown_times() -> None:
    jobs = sacct.parse(ok(SACCT_ANSWER))

    assert jobs["103"].submitted_at == datetime(2026, 12, 3, 16, 15, 22, tzinfo=UTC)
    assert jobs["103"].ended_at == datetime(2026, 12, 3, 16, 16, 40, tzinfo=UTC)
    assert jobs["105"].started_at is None
    assert jobs["105"].ended_at is None


def test_accounting_disabled_tells_the_caller_to_ask_the_controller() -> None:
    with pytest.raises(sacct.AccountingDisabled) as caught:
        sacct.parse(read_capture("sacct_accounting_disabled"))

    assert isinstance(caught.value, CommandFailed)
    assert not caught.value.transient
    assert "accounting storage is disabled" in caught.value.message


def test_accounting_argv_asks_allocations_of_all_jobs_at_once() -> None:
    argv = sacct.build_argv(["101", "102", "103"])

    assert argv[argv.index("sacct") - 1] == "SLURM_TIME_FORMAT=%s"
    assert "--parsable2" in argv
    assert "--allocations" in argv
    assert "--jobs=101,102,103" in argv
    assert f"--format={sacct.FORMAT}" in argv
    assert sacct.FORMAT.count(",") == 6


# --- scancel ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "scancel_running_job",
        "scancel_pending_jobs",
        "scancel_pending_begin_and_held",
        "scancel_finished_job",
        "scancel_nonexistent_job",
        "scancel_verbose_finished_job",
        "scancel_verbose_nonexistent_job",
    ],
)
def test_cancel_succeeds_as_captured(name: str) -> None:
    scancel.check(read_capture(name))


@pytest.mark.parametrize(
    "stderr",
    [
        "scancel: error: Kill job error on job id 3: Job/step already completing "
        "or completed\n",
        "scancel: error: Kill job error on job id 999999: Invalid job id specified\n",
        "scancel: error: Kill job error on job id 3: Job/step already completing "
        "or completed\nscancel: error: Kill job error on job id 999999: Invalid "
        "job id specified\n",
    ],
)
def test_cancel_of_ended_or_unknown_jobs_is_not_an_error_even_when_it_exits_1(
    stderr: str,
) -> None:
    # The captured messages with the exit status other Slurm versions give them.
    scancel.check(failed(stderr))


def test_cancel_refused_for_another_reason_is_an_error() -> None:
    stderr = (
        "scancel: error: Kill job error on job id 3: Access/permission denied\n"
        "scancel: error: Kill job error on job id 4: Invalid job id specified\n"
    )

    with pytest.raises(CommandFailed) as caught:
        scancel.check(failed(stderr))

    assert "Access/permission denied" in caught.value.message


def test_cancel_with_an_unreachable_controller_is_a_transient_error() -> None:
    stderr = (
        "scancel: error: Kill job error on job id 3: Unable to contact slurm "
        "controller (connect failure)\n"
    )

    with pytest.raises(SchedulerUnavailable):
        scancel.check(failed(stderr))


def test_cancel_argv_names_every_job() -> None:
    assert scancel.build_argv(["3", "12_4"]) == ["scancel", "3", "12_4"]


# --- errors and quoting -------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "sbatch_invalid_time_abc",
        "sbatch_too_many_nodes",
        "sbatch_too_much_memory",
        "sacct_accounting_disabled",
        "scontrol_show_job_invalid_id",
        "squeue_invalid_job",
        "scancel_verbose_nonexistent_job",
    ],
)
def test_captured_refusals_are_not_mistaken_for_an_unreachable_controller(
    name: str,
) -> None:
    assert not is_unavailable(read_capture(name).stderr)


@pytest.mark.parametrize("value", HOSTILE)
def test_shell_command_line_gives_back_the_same_arguments(value: str) -> None:
    argv = ["squeue", f"--name={value}", value, "--user=alice"]

    assert shlex.split(to_shell(argv)) == argv


def test_shell_command_line_runs_without_the_shell_reading_any_value(
    tmp_path: Path,
) -> None:
    # A real shell, not only shlex: it must print each argument as it was given.
    values = [in_sandbox(value, tmp_path) for value in HOSTILE]

    printed = run_shell(to_shell(["printf", "%s\\0", *values]), tmp_path)

    assert printed.split("\0")[:-1] == values
    assert not (tmp_path / "ran").exists()


def test_shell_command_line_refuses_an_empty_command() -> None:
    with pytest.raises(ValueError, match="empty"):
        to_shell([])
