"""The cluster extra on a simulated 3-node Ray cluster (``ray.cluster_utils.Cluster``): a
node holding a host is removed; Ray restarts the host on the other node, which takes a newer
lease and resumes every session from the store; every acknowledged message is kept once; the
old host's sockets to the service are closed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import ray
from ray.cluster_utils import Cluster as RayTestCluster
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

import realtime_actors as rt
import realtime_actors.cluster as rtc
from realtime_actors.simulator import Simulator
from tests.realtime.support import API_KEY

WAIT_S = 60.0  # a restart on a loaded 2-core machine starts a new worker process
FAST_HEALTH_CHECKS = {"health_check_period_ms": 300, "health_check_failure_threshold": 3,
                      "health_check_timeout_ms": 300, "health_check_initial_delay_ms": 0}
AGENT = rt.agent("Echo")


@pytest.fixture(scope="module")
def nodes() -> Iterator[tuple[RayTestCluster, list[Any]]]:
    """A head node (for the store) and two worker nodes for hosts; shut down after."""
    cluster = RayTestCluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "resources": {"head": 1}, "include_dashboard": False,
        "_system_config": FAST_HEALTH_CHECKS})
    workers = [cluster.add_node(num_cpus=1, resources={"rt_host": 4}) for _ in range(2)]
    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    try:
        yield cluster, workers
    finally:
        ray.shutdown()
        cluster.shutdown()


def turn(session: rtc.RemoteSession, text: str) -> tuple[str, str]:
    """Send ``text``; returns its item id and the complete answer's transcript."""
    item_id = session.send_message(text)
    answer = session.wait_for(lambda e: isinstance(e, rt.TranscriptCompletedEvent)
                              and e.role == "assistant" and f"You said: {text}" in e.transcript,
                              WAIT_S)
    session.wait_for(rt.AgentEndEvent, WAIT_S)
    return item_id, answer.transcript


def test_node_loss_restores_every_session_and_fences_the_old_host(
        nodes: tuple[RayTestCluster, list[Any]], module_sim: Simulator) -> None:
    ray_cluster, (doomed, survivor) = nodes
    store = rtc.RayStore.start(resources={"head": 0.01})  # on the head node: survives
    cluster = rtc.Cluster(store, owns_store=True)
    model = rt.ModelConfig(url=module_sim.ws_url, api_key=API_KEY)
    run_config = rt.RunConfig(model_settings=rt.SessionModelSettings(
        output_modalities=("text",)))
    try:
        for name, node in (("a", doomed), ("b", survivor)):
            cluster.add_host(name, [AGENT], model, run_config=run_config, lease_ttl_s=1.5,
                             resources={"rt_host": 1},
                             scheduling_strategy=NodeAffinitySchedulingStrategy(
                                 node.node_id, soft=True))
        old = {load.name: load for load in cluster.loads()}
        sessions = [cluster.run(AGENT, host="a") for _ in range(4)]
        acked: dict[str, list[str]] = {}
        for n, session in enumerate(sessions):
            acked[session.session_id] = [turn(session, f"s{n} fact {k}")[0] for k in range(2)]
        old_connections = range(len(module_sim.connections))

        started = time.monotonic()
        ray_cluster.remove_node(doomed, allow_graceful=False)

        for index in old_connections:  # the old host no longer talks to the service
            module_sim.wait_for_close(index, WAIT_S)
        for n, session in enumerate(sessions):
            _, answer = turn(session, f"s{n} recall")  # the handle waits for the restart
            assert f"s{n} fact 0 / " in answer and f"s{n} fact 1" in answer
            users = [i.item_id for i in session.history() if i.role == "user"]
            for item_id in acked[session.session_id]:
                assert users.count(item_id) == 1  # kept, and not duplicated
        failover_s = time.monotonic() - started
        new = {load.name: load for load in cluster.loads()}
        assert new["a"].pid != old["a"].pid and new["a"].epoch > old["a"].epoch
        assert new["a"].sessions == 4 and new["b"].pid == old["b"].pid
        print(f"fail-over of 4 sessions after node loss: {failover_s:.1f}s")
    finally:
        cluster.shutdown()
