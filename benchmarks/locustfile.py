"""Mixed traffic for benchmarks/scale.py: coordinators, the secretariat, an auditor and the public at once.

Run by scale.py (``locust --headless``); ``SCALE_TOKENS`` names a JSON file of API tokens per login,
``SCALE_PASSWORD`` the demo password (the secretariat also reads the portal through a session).
A 409 from a transition is the engine refusing a concurrent change correctly (two officers accepting
one request): it is counted under its own name, not as a failure.
"""

from __future__ import annotations

import json
import os
import random
import uuid

from locust import HttpUser, between, task

TOKENS = json.loads(open(os.environ["SCALE_TOKENS"], encoding="utf-8").read())


class _ApiUser(HttpUser):
    abstract = True
    wait_time = between(0.05, 0.3)
    login = ""

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Token {TOKENS[self.login]}"
        self.client.headers["Accept-Language"] = random.choice(["ar", "en"])

    def references(self, **params: str) -> list[str]:
        with self.client.get(
            "/api/v1/requests/", params=params, name="GET /api/v1/requests/?…", catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"list answered {r.status_code}")
                return []
            return [row["reference"] for row in r.json()["results"]]

    def transition(self, reference: str, name: str, body: dict) -> None:
        with self.client.post(
            f"/api/v1/requests/{reference}/transitions/{name}/",
            json=body,
            headers={"Idempotency-Key": str(uuid.uuid4())},
            name=f"POST transitions/{name}",
            catch_response=True,
        ) as r:
            if r.status_code == 409:
                r.success()  # lost a race or a guard refused: the engine's correct answer
            elif r.status_code != 200:
                r.failure(f"{name} answered {r.status_code}: {r.text[:200]}")


class Coordinator(_ApiUser):
    """Drafts and submits requests, then reads them as a coordinator does all day."""

    weight = 4

    def on_start(self) -> None:
        self.login = random.choice(["cso-coordinator", "ministry-coordinator"])
        super().on_start()
        me = self.client.get("/api/v1/me/", name="GET /api/v1/me/").json()
        own_side = me["organizations"][0]["side"]
        self.organization = me["organizations"][0]["id"]
        organizations = self.client.get("/api/v1/organizations/", name="GET /api/v1/organizations/").json()
        rows = organizations["results"] if isinstance(organizations, dict) else organizations
        self.counterparts = [o["id"] for o in rows if o["side"] != own_side] or [rows[0]["id"]]
        themes = self.client.get("/api/v1/themes/", name="GET /api/v1/themes/").json()
        self.themes = [t["code"] for t in (themes["results"] if isinstance(themes, dict) else themes)]

    @task(1)
    def open_and_submit(self) -> None:
        body = {
            "title": f"Load test dialogue {uuid.uuid4().hex[:8]}",
            "summary": "A request opened by the load generator to exercise the whole write path.",
            "theme": random.choice(self.themes),
            "format": random.choice(["roundtable", "workshop", "consultation", "policy_dialogue"]),
            "requesting_organization": self.organization,
            "counterpart_organizations": [random.choice(self.counterparts)],
        }
        with self.client.post(
            "/api/v1/requests/",
            json=body,
            headers={"Idempotency-Key": str(uuid.uuid4())},
            name="POST /api/v1/requests/",
            catch_response=True,
        ) as created:
            if created.status_code != 201:
                created.failure(f"create answered {created.status_code}: {created.text[:300]}")
                return
        self.transition(created.json()["reference"], "submit", {})

    @task(4)
    def read_list(self) -> None:
        self.references(page_size="25")

    @task(3)
    def read_one(self) -> None:
        references = self.references(page_size="10")
        if references:
            reference = random.choice(references)
            self.client.get(f"/api/v1/requests/{reference}/", name="GET /api/v1/requests/{ref}/")
            self.client.get(f"/api/v1/requests/{reference}/transitions/", name="GET …/transitions/")
            self.client.get(f"/api/v1/requests/{reference}/history/", name="GET …/history/")


class Secretariat(_ApiUser):
    """Triages what was submitted (accepting it: notifications to both parties) and reads the portal."""

    weight = 2

    def on_start(self) -> None:
        self.login = random.choice(["secretariat", "secretariat-lead"])
        super().on_start()
        page = self.client.get("/sign-in/", name="GET /sign-in/")
        token = page.cookies.get("csrftoken") or self.client.cookies.get("csrftoken", "")
        self.client.post(
            "/sign-in/",
            data={"username": self.login, "password": os.environ["SCALE_PASSWORD"], "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/sign-in/"},
            name="POST /sign-in/",
        )

    @task(2)
    def accept_one(self) -> None:
        references = self.references(state="submitted", page_size="10")
        if references:
            self.transition(random.choice(references), "accept", {})

    @task(2)
    def read_queue_page(self) -> None:
        self.client.get("/requests/", name="GET /requests/ (portal queue)")

    @task(2)
    def read_request_page(self) -> None:
        references = self.references(page_size="10")
        if references:
            self.client.get(f"/requests/{random.choice(references)}/", name="GET /requests/{ref}/ (portal)")

    @task(1)
    def read_sla(self) -> None:
        references = self.references(page_size="10")
        if references:
            self.client.get(f"/api/v1/requests/{random.choice(references)}/sla/", name="GET …/sla/")


class Auditor(_ApiUser):
    """Reads the stored verification and the histories."""

    weight = 1
    login = "auditor"

    @task
    def verify(self) -> None:
        self.client.get("/api/v1/audit/verify/", name="GET /api/v1/audit/verify/")
        references = self.references(page_size="10")
        if references:
            self.client.get(f"/api/v1/requests/{random.choice(references)}/history/", name="GET …/history/")


class Public(HttpUser):
    """Someone reading published outcomes and the charter, without an account."""

    weight = 2
    wait_time = between(0.05, 0.3)

    @task(2)
    def transparency(self) -> None:
        self.client.get("/transparency/", name="GET /transparency/")

    @task(1)
    def charter(self) -> None:
        self.client.get("/api/v1/charter/", name="GET /api/v1/charter/")
