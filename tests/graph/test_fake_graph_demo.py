"""``python -m tests.support.fake_graph --demo`` serves the demo municipality of storage/demo/leaders.csv."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
import uuid

from graph.client import GraphClient
from graph.config import GraphConfig
from graph.directory import group_member_ids, group_users
from tests.support.fake_graph import DEMO_CSV, DEMO_NAMESPACE, FakeGraph
from tests.support.paths import REPO


def _csv_rows() -> list[dict[str, str]]:
    with DEMO_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


async def test_the_demo_directory_equals_the_demo_csv() -> None:
    rows = _csv_rows()
    async with FakeGraph(page_size=5) as graph:
        graph.seed_demo()
        async with GraphClient(graph.config()) as client:
            users = await group_users(client, "leaders")
            hr = await group_member_ids(client, "hr")
    by_mail = {user.mail: user for user in users}
    assert len(users) == len(rows)
    for row in rows:
        user = by_mail[row["e-post"]]
        expected_id = row["entra_object_id"] or str(uuid.uuid5(DEMO_NAMESPACE, row["e-post"].lower()))
        assert (user.id, user.display_name, user.department) == (expected_id, row["navn"], row["enhet"])
        assert user.manager_mail == (row["overordnet_epost"] or None)
    assert hr == {by_mail[row["e-post"]].id for row in rows if row["hr_admin"] == "ja"}


async def test_the_module_serves_the_demo() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.fake_graph", "--demo", cwd=REPO, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        env = json.loads(await asyncio.wait_for(process.stdout.readline(), 30))
        config = GraphConfig(
            graph_url=env["LEDERAVTALE_GRAPH_URL"],
            login_url=env["LEDERAVTALE_LOGIN_URL"],
            tenant_id=env["LEDERAVTALE_GRAPH_TENANT_ID"],
            client_id=env["LEDERAVTALE_GRAPH_CLIENT_ID"],
            client_secret=env["LEDERAVTALE_GRAPH_CLIENT_SECRET"],
            ca_file=env["LEDERAVTALE_GRAPH_CA_FILE"],
        )
        async with GraphClient(config) as client:
            assert len(await group_member_ids(client, "leaders")) == len(_csv_rows())
    finally:
        process.terminate()
        await process.wait()
