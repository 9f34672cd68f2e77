"""A GraphQL fuzzer for Roster (issue 17), run by tests/tests/fuzz.rs.

Operations come from `schema.graphql` through hypothesis-graphql: valid ones
(`Mode.POSITIVE`), ones with one schema violation (`Mode.NEGATIVE`), and
valid ones with their text cut, doubled or spliced. Each goes to the running
server as every caller in ROSTER_FUZZ_CALLERS (anonymous, viewer, admin,
token) for ROSTER_FUZZ_SECONDS each. A finding is any 5xx, an answer that is
not GraphQL JSON, an error without `extensions.code`, an answer slower than
ROSTER_FUZZ_TIMEOUT seconds, or error text that leaks internals (SQL, source
paths, panics). Prints a JSON summary; exits 1 when anything was found.
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


def operations():
    valid = st.one_of(
        gql.queries(SCHEMA, fields=QUERIES, custom_scalars=SCALARS),
        gql.mutations(SCHEMA, fields=MUTATIONS, custom_scalars=SCALARS),
    )
    invalid = st.one_of(
        gql.queries(SCHEMA, fields=QUERIES, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
        gql.mutations(SCHEMA, fields=MUTATIONS, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
    )

    def corrupt(args):
        text, at, cut, junk, how = args
        at = at % (len(text) + 1)
        if how == 0:
            return text[:at] + text[at + cut :]
        if how == 1:
            return text[:at] + junk + text[at:]
        return text + text[:at]

    broken = st.tuples(
        valid,
        st.integers(0, 10_000),
        st.integers(1, 40),
        st.text(max_size=12),
        st.integers(0, 2),
    ).map(corrupt)
    return st.one_of(valid, invalid, broken)


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


def check(caller_name, query, status, raw, took):
    problems = []
    if status >= 500:
        problems.append("status %d" % status)
    if took > TIMEOUT:
        problems.append("took %.2f s" % took)
    try:
        answer = json.loads(raw)
    except ValueError:
        return problems + ["not JSON: %r" % raw[:200]]
    errors = answer.get("errors") or []
    if not isinstance(answer, dict) or ("data" not in answer and not errors):
        problems.append("not a GraphQL answer")
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        if not code:
            problems.append("an error without a code: %r" % error.get("message"))
        if code == "INTERNAL":
            problems.append("INTERNAL")
        text = json.dumps(error)
        if LEAKS.search(text):
            problems.append("leaks: %s" % text[:300])
    return [
        {"caller": caller_name, "problem": p, "status": status, "query": query[:500]}
        for p in problems
    ]


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
    print(json.dumps({"requests": counts, "findings": findings}, indent=1))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
