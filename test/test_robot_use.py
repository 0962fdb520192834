# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""policy_node on a robot without surprises (issue 34): signals, params files, bad
checkpoints, reasons reaching the client, names and namespaces, lifecycle managers, parameter
descriptors, oversized camera frames. Real processes on real DDS, like test_policy_node.py."""

from __future__ import annotations

import io
import signal
import struct
import subprocess
import threading
import time
import zlib

from diagnostic_msgs.msg import DiagnosticArray
from lifecycle_msgs.msg import Transition
from PIL import Image as PILImage
from policy_fixtures import make_checkpoint
import pytest
from ros_helpers import SHARE, NodeProcess, RosTestNode, executable, wait_for
from test_policy_node import (
    Harness,
    get_parameters,
    lifecycle_state,
    policy_ctl,
    set_parameter,
    transition,
)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp('ckpt'))


# ---- signals (items 1, 2) -----------------------------------------------------------------
def send_signals(proc: subprocess.Popen, steps: tuple) -> None:
    """``steps``: 'INT' / 'TERM' send that signal, a number waits that many seconds."""
    for step in steps:
        if isinstance(step, str):
            proc.send_signal(getattr(signal, f'SIG{step}'))
        else:
            time.sleep(step)


def exit_code(proc: NodeProcess, timeout: float = 30.0) -> int:
    """The exit code, or a failure naming the hang (the process is killed)."""
    try:
        return proc.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.proc.kill()
        raise AssertionError(f'still running {timeout} s after the signals:\n'
                             f'{proc.output()}') from None


def signal_ids(steps: tuple) -> str:
    return '-'.join(map(str, steps))


# launch sends SIGINT, then SIGTERM after a timeout; a terminal's Ctrl-C reaches launch and
# the node, and launch sends its own SIGINT 0.05-1 s later
SEQUENCES = [('TERM',), ('INT',), ('INT', 0.05, 'INT'), ('INT', 0.5, 'INT'),
             ('INT', 0.2, 'TERM')]


@pytest.mark.parametrize('steps', SEQUENCES, ids=signal_ids)
def test_a_ticking_node_stops_cleanly_on_the_first_signal_whatever_follows(checkpoint,
                                                                          tmp_path, steps):
    h = Harness(checkpoint, tmp_path)
    try:
        h.wait_running()  # ticking: camera and joint states flow, plans are computed
        send_signals(h.proc.proc, steps)
        code = exit_code(h.proc)
    finally:
        h.close()
    assert code == 0, h.proc.output()


@pytest.mark.parametrize('steps', [('TERM',), ('INT', 0.1, 'TERM')], ids=signal_ids)
def test_an_idle_node_stops_on_the_first_signal(tmp_path, steps):
    """Unconfigured, nothing to do: the main thread waits in the executor's spin."""
    proc = NodeProcess('policy_node', ['-p', 'autostart:=false'], tmp_path)
    wait_for(lambda: 'waiting for the configure transition' in proc.output(), 60,
             'the node up', proc)
    time.sleep(1.0)  # idle in the spin
    send_signals(proc.proc, steps)
    assert exit_code(proc, timeout=15) == 0, proc.output()


def test_a_node_stops_on_the_first_sigterm_while_it_compiles(checkpoint, tmp_path):
    """compile:=inductor spends ~15 s or more in configure at start-up."""
    proc = NodeProcess('policy_node', ['-p', f'checkpoint:={checkpoint}', '-p',
                                       'compile:=inductor'], tmp_path)
    wait_for(lambda: f'loading {checkpoint}' in proc.output(), 60, 'configure started', proc)
    time.sleep(1.0)
    assert ': ready' not in proc.output() and proc.alive(), 'still configuring'
    proc.proc.send_signal(signal.SIGTERM)
    assert exit_code(proc, timeout=20) == 0, proc.output()


# ---- params files (item 4) ----------------------------------------------------------------
PARAMS_FILES = {
    'missing': (None, 'no such file'),
    'not_yaml': ('/**/nf_policy:\n  ros__parameters: [1, 2\n', 'not valid YAML'),
    'no_value': ('/**/nf_policy:\n  ros__parameters:\n    sampling: {mode: }\n',
                 '/**/nf_policy/ros__parameters.sampling.mode has no value'),
    'flat': ('checkpoint: policy.pt\n', 'checkpoint holds a str: expected <node name>: '
                                        '{ros__parameters: {name: value, ...}}'),
}


@pytest.mark.parametrize('case', sorted(PARAMS_FILES))
def test_an_unusable_params_file_is_one_line_naming_it(tmp_path, case):
    content, reason = PARAMS_FILES[case]
    path = tmp_path / 'nope.yaml'
    if content is not None:
        path.write_text(content)
    done = subprocess.run([str(executable('policy_node')), '--ros-args', '--params-file',
                           str(path)], capture_output=True, text=True, timeout=120)
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode == 2, lines
    assert lines == [f'policy_node: --params-file {path}: {reason}'] or (
        len(lines) == 1 and lines[0].startswith(
            f'policy_node: --params-file {path}: {reason}')), lines


# ---- a file that is not a checkpoint (item 7) ---------------------------------------------
def test_a_yaml_file_as_checkpoint_is_one_line_and_the_node_stays_up_unconfigured(tmp_path):
    params = SHARE / 'config' / 'policy.yaml'
    proc = NodeProcess('policy_node', ['-p', f'checkpoint:={params}'], tmp_path)
    try:
        wait_for(lambda: 'configure failed' in proc.output(), 60, 'the refusal', proc)
        time.sleep(1.0)
        refusals = [line for line in proc.output().splitlines() if 'configure failed' in line]
        assert len(refusals) == 1, refusals
        assert refusals[0].endswith(
            f"configure failed: checkpoint '{params}' is not an NF-P checkpoint: expected an "
            'nf_policy_ros.checkpoint file written by train or train_node (a torch.save '
            'archive), found a text file (YAML, JSON, ...)'), refusals
        assert 'weights_only' not in proc.output() and proc.alive()
    finally:
        assert proc.stop() == 0


# ---- the reason reaches the client; checkpoint set while unconfigured (items 8, 12) -------
def test_policy_ctl_prints_the_reason_and_a_checkpoint_set_while_unconfigured_loads(
        checkpoint, tmp_path):
    missing = tmp_path / 'missing.pt'
    h = Harness(missing, tmp_path, 'autostart:=false')
    try:
        refused = policy_ctl('configure')
        assert refused.returncode == 1, refused
        assert refused.stderr.strip() == (
            f"policy_ctl: /nf_policy refused configure: unconfigured: checkpoint '{missing}' "
            'does not exist'), refused.stderr
        assert set_parameter(h, 'checkpoint', str(checkpoint)).successful
        done = policy_ctl('configure')
        assert done.returncode == 0 and done.stdout.strip() == 'inactive', done
        held = set_parameter(h, 'checkpoint', str(missing))
        assert not held.successful and held.reason == (
            'checkpoint is read-only while inactive: it is read at configure; set it while '
            'unconfigured (deactivate, cleanup, set, configure)')
        assert get_parameters(h, ['checkpoint']) == [str(checkpoint)]
        assert transition(h, Transition.TRANSITION_CLEANUP)
        assert set_parameter(h, 'checkpoint', str(missing)).successful, 'unconfigured again'
    finally:
        assert h.close() == 0


# ---- a lifecycle manager's transitions; policy_ctl shutdown (item 13) ---------------------
def test_lifecycle_manager_transitions_and_policy_ctl_shutdown(checkpoint, tmp_path):
    """nav2's lifecycle_manager (with ``bond_timeout: 0.0``, docs/robot.md) calls
    ~/get_state and ~/change_state by transition id: configure, activate on startup;
    deactivate, cleanup on reset; then startup again and shutdown."""
    h = Harness(checkpoint, tmp_path, 'autostart:=false')
    try:
        assert lifecycle_state(h) == 'unconfigured'
        for step, state in [(Transition.TRANSITION_CONFIGURE, 'inactive'),
                            (Transition.TRANSITION_ACTIVATE, 'active'),
                            (Transition.TRANSITION_DEACTIVATE, 'inactive'),
                            (Transition.TRANSITION_CLEANUP, 'unconfigured'),
                            (Transition.TRANSITION_CONFIGURE, 'inactive'),
                            (Transition.TRANSITION_ACTIVATE, 'active')]:
            assert transition(h, step) and lifecycle_state(h) == state, state
        wait_for(lambda: h.last_diagnostics().get('state') == 'active', 10,
                 "'active' in /diagnostics", h.proc)
        done = policy_ctl('shutdown')
        assert done.returncode == 0 and done.stdout.strip() == 'finalized', done
        assert lifecycle_state(h) == 'finalized'
        wait_for(lambda: h.last_diagnostics().get('state') == 'finalized', 10,
                 "'finalized' in /diagnostics", h.proc)
        assert h.proc.alive()
    finally:
        assert h.close() == 0


# ---- names and namespaces (item 10) -------------------------------------------------------
def test_namespaced_and_renamed_policy_nodes_report_under_their_own_names(checkpoint,
                                                                         tmp_path):
    """/robot1/nf_policy (unconfigured), /robot2/nf_policy (active) and /left_policy
    (``__node:=left_policy``, unconfigured) at once: one /diagnostics status each, named by
    the node's fully qualified name, and policy_ctl finds each by that name."""
    test = RosTestNode('diagnostics_listener')
    statuses: dict[str, dict[str, str]] = {}
    lock = threading.Lock()

    def on_diagnostics(msg: DiagnosticArray) -> None:
        with lock:
            for item in msg.status:
                statuses[item.name] = {'hardware_id': item.hardware_id} | {
                    v.key: v.value for v in item.values}

    test.node.create_subscription(DiagnosticArray, '/diagnostics', on_diagnostics, 10)
    for name in ('r1', 'r2', 'left'):
        (tmp_path / name).mkdir()
    procs = [NodeProcess('policy_node', ['-r', '__ns:=/robot1', '-p', 'autostart:=false'],
                         tmp_path / 'r1'),
             NodeProcess('policy_node', ['-r', '__ns:=/robot2', '-p',
                                         f'checkpoint:={checkpoint}'], tmp_path / 'r2'),
             NodeProcess('policy_node', ['-r', '__node:=left_policy', '-p',
                                         'autostart:=false'], tmp_path / 'left')]
    expected = {'/robot1/nf_policy: policy': 'unconfigured',
                '/robot2/nf_policy: policy': 'active', '/left_policy: policy': 'unconfigured'}
    try:
        def states() -> dict[str, str]:
            with lock:
                return {name: values.get('state') for name, values in statuses.items()}
        wait_for(lambda: states() == expected, 90, f'diagnostics {expected}', procs[1])
        with lock:
            assert {v['hardware_id'] for v in statuses.values()} == {
                '/robot1/nf_policy', '/robot2/nf_policy', '/left_policy'}
        for node, state in [('/robot1/nf_policy', 'unconfigured'),
                            ('/robot2/nf_policy', 'active'), ('/left_policy', 'unconfigured')]:
            shown = policy_ctl('--node', node, 'status')
            assert shown.returncode == 0 and shown.stdout.startswith(f'{state}: {state}'), \
                (node, shown)
    finally:
        test.close()
        codes = [proc.stop() for proc in procs]
    assert codes == [0, 0, 0]


# ---- parameter descriptors (item 14) ------------------------------------------------------
def test_every_parameter_of_the_policy_node_says_its_range_or_choices():
    """Numbers carry an integer / floating-point range, strings and lists the values or the
    form they take, both generated from the config tree; configure-time ones say when they
    can be set."""
    import rclpy
    from rclpy.parameter import Parameter

    from nf_policy_ros.nodes.policy.node import PolicyNode

    rclpy.init(args=['--ros-args', '-p', 'autostart:=false'])
    try:
        node = PolicyNode()
        try:
            names = [name for name in node._parameters if name != 'use_sim_time']
            described = dict(zip(names, node.describe_parameters(names)))
            types = {name: node.get_parameter(name).type_ for name in names}
        finally:
            node.destroy_node()
    finally:
        rclpy.try_shutdown()
    for name, descriptor in described.items():
        if types[name] == Parameter.Type.INTEGER:
            assert len(descriptor.integer_range) == 1, name
        elif types[name] == Parameter.Type.DOUBLE:
            assert len(descriptor.floating_point_range) == 1, name
        elif types[name] != Parameter.Type.BOOL:
            assert descriptor.additional_constraints, name
    assert described['device'].additional_constraints == ('one of: auto, cpu, cuda; read at '
                                                          'configure: settable only while '
                                                          'unconfigured')
    assert described['sampling.mode'].additional_constraints == \
        'one of: zero_latent, sample, best_of_n, refine'
    fraction = described['model_budget_fraction'].floating_point_range[0]
    assert (fraction.from_value, fraction.to_value) == (0.0, 1.0)
    candidates = described['sampling.num_candidates'].integer_range[0]
    assert (candidates.from_value, candidates.to_value) == (1, 65536)
    assert described['autostart'].read_only and not described['checkpoint'].read_only


# ---- oversized camera frames (item 15) ----------------------------------------------------
def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose IHDR declares ``width`` x ``height`` (the body is a 1x1 image's:
    nothing is decoded by the arrival check)."""
    buffer = io.BytesIO()
    PILImage.new('L', (1, 1)).save(buffer, format='PNG')
    data = bytearray(buffer.getvalue())
    data[16:24] = struct.pack('>II', width, height)  # IHDR: after signature, length, type
    data[29:33] = struct.pack('>I', zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def jpeg_declaring(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.new('RGB', (8, 8)).save(buffer, format='JPEG')
    data = bytearray(buffer.getvalue())
    sof = data.index(b'\xff\xc0')
    data[sof + 5:sof + 9] = struct.pack('>HH', height, width)
    return bytes(data)


@pytest.mark.parametrize('encode, fmt', [(png_declaring, 'png'), (jpeg_declaring, 'jpeg')])
def test_a_frame_declaring_a_huge_size_is_refused_before_decoding(encode, fmt):
    from sensor_msgs.msg import CompressedImage

    from nf_policy_ros.data.convert import ConversionError, check_camera_msg
    from nf_policy_ros.node_config.policy import SafetyConfig

    limit = SafetyConfig().max_image_side
    assert limit == 4096
    check_camera_msg(CompressedImage(format=fmt, data=encode(4096, 3000)), limit)
    huge = CompressedImage(format=fmt, data=encode(12000, 12000))
    assert len(huge.data) < 1000
    with pytest.raises(ConversionError, match=r'^declared size 12000x12000 px is larger '
                                              r'than the limit 4096x4096 px$'):
        check_camera_msg(huge, limit)


def test_frames_above_max_image_side_are_malformed_logged_with_topic_size_and_limit(
        checkpoint, tmp_path):
    """The fake camera's 64x48 frames under a 40 px limit: counted as malformed on arrival,
    one log line naming the topic, the declared size and the limit, no plan; a live set of
    the limit lets them through."""
    h = Harness(checkpoint, tmp_path, 'output_enabled:=true', 'safety.max_image_side:=40')
    try:
        wait_for(lambda: int(h.last_diagnostics().get('count.malformed_image', 0)) >= 3, 90,
                 'oversized frames counted', h.proc)
        assert ('malformed image on /image, skipped: declared size 64x48 px is larger than '
                'the limit 40x40 px') in h.proc.output()
        assert h.confidences() == [], 'no frame reached the model'
        assert all(len(m.points) == 1 for m in h.robot.received()), 'at most the start hold'
        assert set_parameter(h, 'safety.max_image_side', 4096).successful
        wait_for(lambda: len(h.robot.received()) >= 2, 30, 'plans once the frames fit',
                 h.proc)
    finally:
        assert h.close() == 0
