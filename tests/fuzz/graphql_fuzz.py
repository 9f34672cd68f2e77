"""A GraphQL fuzzer for Roster (issue 17), run by tests/tests/fuzz.rs.

Operations come from `schema.graphql` through hypothesis-graphql: valid ones
(`Mode.POSITIVE`), ones with one schema violation (`Mode.NEGATIVE`), and
valid ones with their text cut, doubled or spliced. Each goes to the running
server as every caller in ROSTER_FUZZ_CALLERS (anonymous, viewer, admin,
token) for ROSTER_FUZZ_SECONDS each: queries and mutations to
`POST /graphql`, then subscriptions (generated the same way from the
subscription root) over one `/graphql/ws` socket per caller (graphql-ws).

A finding is any 5xx, an answer that is not GraphQL JSON, an error without
`extensions.code`, an answer slower than ROSTER_FUZZ_TIMEOUT seconds, error
text that leaks internals (SQL, source paths, panics), or a socket the
server closed or broke. A subscription that is accepted and waits for
events is fine: it is completed after a moment. Prints a JSON summary;
exits 1 when anything was found.
"""

import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from datetime import timezone

import graphql
from websockets.sync.client import connect as ws_connect

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes
from hypothesis_graphql import strategies as gql

BASE = os.environ["ROSTER_FUZZ_BASE"]
SCHEMA = open(os.environ["ROSTER_FUZZ_SCHEMA"], encoding="utf-8").read()
CALLERS = json.loads(os.environ["ROSTER_FUZZ_CALLERS"])
SECONDS = float(os.environ.get("ROSTER_FUZZ_SECONDS", "10"))
TIMEOUT = float(os.environ.get("ROSTER_FUZZ_TIMEOUT", "5"))

# Fields that would end the fuzzing caller's own credential at once.
EXCLUDED = {"logout"}

# Error text that would say something about the inside of the server.
LEAKS = re.compile(
    r"(?i)(\bselect\b[^\"]*\bfrom\b|\binsert\s+into\b|\bupdate\s+\w+\s+set\b|sqlx|sea_orm|sea-orm"
    r"|dberr|\.rs:\d+|/src/|/home/|/root/|/work/|panicked|backtrace|stack trace|thread '"
    r"|connection refused|duplicate key|constraint \")"
)

SCALARS = {
    "DateTime": st.datetimes(timezones=st.just(timezone.utc)).map(
        lambda d: nodes.String(d.isoformat())
    ),
    "JSON": st.one_of(
        st.just(nodes.String("{}")), st.text(max_size=20).map(nodes.String)
    ),
}


def root_fields(root):
    return [name for name in root.fields if name not in EXCLUDED]


_SCHEMA = graphql.build_schema(SCHEMA)
QUERIES = root_fields(_SCHEMA.query_type)
MUTATIONS = root_fields(_SCHEMA.mutation_type)
# hypothesis-graphql makes no subscriptions: it makes queries of a schema
# whose query root is the subscription root, and they are sent as
# subscriptions.
_SUBSCRIPTIONS = graphql.GraphQLSchema(
    query=_SCHEMA.subscription_type, types=list(_SCHEMA.type_map.values())
)


def as_subscription(text):
    text = text.lstrip()
    return "subscription " + (text[len("query"):] if text.startswith("query") else text)


def with_broken(valid):
    """`valid`, and its text cut, doubled or spliced."""

    def corrupt(args):
        text, at, cut, junk, how = args
        at = at % (len(text) + 1)
        if how == 0:
            return text[:at] + text[at + cut :]
        if how == 1:
            return text[:at] + junk + text[at:]
        return text + text[:at]

    return st.tuples(
        valid,
        st.integers(0, 10_000),
        st.integers(1, 40),
        st.text(max_size=12),
        st.integers(0, 2),
    ).map(corrupt)


def literals():
    """Any GraphQL input literal, of any type, as text."""
    scalar = st.one_of(
        st.integers(-(2**70), 2**70).map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.text(max_size=30).map(json.dumps),
        st.sampled_from(["true", "false", "null", "ENUM", "$undeclared"]),
    )
    return st.recursive(
        scalar,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
            st.dictionaries(
                st.sampled_from(FILTER_FIELDS + ["nope", "__typename"]), inner, max_size=4
            ).map(lambda d: "{" + ", ".join("%s: %s" % kv for kv in d.items()) + "}"),
        ),
        max_leaves=8,
    )


FILTER_FIELDS = list(_SCHEMA.type_map["AuditEventsFilter"].fields)


def subscriptions():
    valid = gql.queries(_SUBSCRIPTIONS, custom_scalars=SCALARS).map(as_subscription)
    # hypothesis-graphql's NEGATIVE mode finds nothing to violate in the
    # subscription root (its one argument is optional): any literal, of any
    # type, in its place.
    root = list(_SCHEMA.subscription_type.fields)
    invalid = st.builds(
        lambda field, arg, value, selection: "subscription { %s(%s: %s) { %s } }"
        % (field, arg, value, selection),
        st.sampled_from(root),
        st.sampled_from(["filter", "nope"]),
        literals(),
        st.sampled_from(["id", "eventType", "nope", "id eventType actorName"]),
    )
    return st.one_of(valid, invalid, with_broken(valid))


def operations():
    valid = st.one_of(
        gql.queries(SCHEMA, fields=QUERIES, custom_scalars=SCALARS),
        gql.mutations(SCHEMA, fields=MUTATIONS, custom_scalars=SCALARS),
    )
    invalid = st.one_of(
        gql.queries(SCHEMA, fields=QUERIES, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
        gql.mutations(SCHEMA, fields=MUTATIONS, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
    )
    return st.one_of(valid, invalid, with_broken(valid))


def post(caller, query):
    body = json.dumps({"query": query}).encode("utf-8")
    headers = {"content-type": "application/json", "x-roster-csrf": "1"}
    if caller.get("cookie"):
        headers["cookie"] = caller["cookie"]
    if caller.get("bearer"):
        headers["authorization"] = "Bearer " + caller["bearer"]
    request = urllib.request.Request(BASE + "/graphql", data=body, headers=headers)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT + 10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    return status, raw, time.monotonic() - started


def error_problems(errors):
    problems = []
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        if not code:
            problems.append("an error without a code: %r" % error.get("message"))
        if code == "INTERNAL":
            problems.append("INTERNAL")
        text = json.dumps(error)
        if LEAKS.search(text):
            problems.append("leaks: %s" % text[:300])
    return problems


def findings_of(caller_name, query, status, problems):
    return [
        {"caller": caller_name, "problem": p, "status": status, "query": query[:500]}
        for p in problems
    ]


def check(caller_name, query, status, raw, took):
    problems = []
    if status >= 500:
        problems.append("status %d" % status)
    if took > TIMEOUT:
        problems.append("took %.2f s" % took)
    try:
        answer = json.loads(raw)
    except ValueError:
        return findings_of(caller_name, query, status, problems + ["not JSON: %r" % raw[:200]])
    if not isinstance(answer, dict):
        return findings_of(caller_name, query, status, problems + ["not a GraphQL answer"])
    errors = answer.get("errors") or []
    if "data" not in answer and not errors:
        problems.append("not a GraphQL answer")
    return findings_of(caller_name, query, status, problems + error_problems(errors))


class Socket:
    """One graphql-ws connection (`graphql-transport-ws`) as a caller.

    Every message the server sends is checked, whichever subscription it
    belongs to: one that comes after its subscription was taken for
    accepted (and completed) is checked too, and an error that took longer
    than the timeout is a finding."""

    # How long an accepted subscription is given to say something before it
    # counts as waiting for events.
    QUIET = 0.2

    def __init__(self, caller, report):
        headers = {}
        if caller.get("cookie"):
            headers["cookie"] = caller["cookie"]
            headers["origin"] = BASE
        if caller.get("bearer"):
            headers["authorization"] = "Bearer " + caller["bearer"]
        self.ws = ws_connect(
            BASE.replace("http://", "ws://", 1) + "/graphql/ws",
            subprotocols=["graphql-transport-ws"],
            additional_headers=headers,
            open_timeout=TIMEOUT,
            proxy=None,
        )
        self.ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        ack = json.loads(self.ws.recv(timeout=TIMEOUT))
        if ack.get("type") != "connection_ack":
            raise RuntimeError("no connection_ack: %r" % ack)
        self.next_id = 0
        # id -> (query, when it was sent)
        self.sent = {}
        # report(query, problems) records findings.
        self.report = report

    def handle(self, message):
        """Checks one message; returns its subscription's id when it ended it."""
        kind = message.get("type")
        if kind == "ping":
            self.ws.send(json.dumps({"type": "pong"}))
            return None
        sid = message.get("id")
        if sid not in self.sent:
            self.report("", ["a message for no subscription: %r" % message])
            return None
        query, sent_at = self.sent[sid]
        problems = []
        if kind == "error":
            errors = message.get("payload")
            if not isinstance(errors, list):
                problems.append("an error message without errors: %r" % message)
                errors = []
            problems += error_problems(errors)
            took = time.monotonic() - sent_at
            if took > TIMEOUT:
                problems.append("refused after %.2f s" % took)
        elif kind == "next":
            problems += error_problems((message.get("payload") or {}).get("errors") or [])
        elif kind != "complete":
            problems.append("unexpected message %r" % message)
        if problems:
            self.report(query, problems)
        return sid if kind in ("error", "complete") else None

    def subscribe(self, query):
        """Sends one subscription and checks what comes back until it ends
        or stays quiet (accepted: it is then completed)."""
        self.next_id += 1
        sid = str(self.next_id)
        self.sent[sid] = (query, time.monotonic())
        self.ws.send(json.dumps({"id": sid, "type": "subscribe", "payload": {"query": query}}))
        # Events of earlier subscriptions may keep coming: at most TIMEOUT.
        until = time.monotonic() + TIMEOUT
        while time.monotonic() < until:
            try:
                raw = self.ws.recv(timeout=self.QUIET)
            except TimeoutError:
                break
            if self.handle(json.loads(raw)) == sid:
                return
        self.ws.send(json.dumps({"id": sid, "type": "complete"}))

    def drain(self, seconds):
        """Checks whatever is still on its way, for `seconds`."""
        until = time.monotonic() + seconds
        try:
            while time.monotonic() < until:
                self.handle(json.loads(self.ws.recv(timeout=max(0.0, until - time.monotonic()))))
        except TimeoutError:
            pass


def fuzz_socket(caller_name, caller, findings, counts):
    name = caller_name + " (socket)"

    def report(query, problems):
        findings.extend(findings_of(name, query, 0, problems))

    try:
        socket = Socket(caller, report)
    except Exception as e:  # noqa: BLE001 - any failure to connect is a finding
        report("", ["could not open: %r" % e])
        return

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(subscriptions())
    def one(query):
        socket.subscribe(query)
        counts[name] = counts.get(name, 0) + 1

    until = time.monotonic() + SECONDS / 2
    try:
        while time.monotonic() < until and len(findings) < 20:
            one()
        socket.drain(1.0)
    except Exception as e:  # noqa: BLE001 - a closed or broken socket is a finding
        report("", ["the socket broke: %r" % e])
    socket.ws.close()


def fuzz(caller_name, caller, findings, counts):
    strategy = operations()

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def one(query):
        status, raw, took = post(caller, query)
        counts[caller_name] = counts.get(caller_name, 0) + 1
        findings.extend(check(caller_name, query, status, raw, took))

    until = time.monotonic() + SECONDS
    while time.monotonic() < until and len(findings) < 20:
        one()


def main():
    findings, counts = [], {}
    for name, caller in CALLERS.items():
        fuzz(name, caller, findings, counts)
        fuzz_socket(name, caller, findings, counts)
    print(json.dumps({"requests": counts, "findings": findings}, indent=1))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
