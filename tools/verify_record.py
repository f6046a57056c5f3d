#!/usr/bin/env python3
"""Independent verifier of a jianguan-draw/v1 record, written from spec/draw-v1.md alone.

Anyone can run it with nothing but Python's standard library:

    python3 tools/verify_record.py RECORD.json

It prints `conforms` and exits 0, or prints one line per deviation and exits 1.
It shares no code with the Rust implementation, so the two check each other.
"""
import hashlib
import json
import sys


def H(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def u64be(digest: bytes) -> int:
    return int.from_bytes(digest[:8], "big")


def sample_size(population: int, rule: dict) -> int:
    if "rate_bp" in rule:
        return (population * rule["rate_bp"] + 9999) // 10000
    return min(rule["count"], population)


def verify(record: dict) -> list:
    problems = []
    secret = bytes.fromhex(record["secret"])
    if H(b"jianguan-draw/v1/commit\x00" + secret).hex() != record["commitment"]:
        problems.append("commitment does not match the secret")
    beacon = record["beacon"].encode("utf-8")  # recorded trimmed; used as it is
    seed = H(b"jianguan-draw/v1/seed\x00" + secret + H(beacon))
    if seed.hex() != record["round_seed"]:
        problems.append("round_seed does not follow from the secret and the beacon")

    def prn(subject: str) -> int:
        return u64be(H(seed + subject.encode("utf-8")))

    digests = {}
    drawn = {}  # subject -> set of plan ids
    plan_department = {}
    for plan in record["plans"]:
        pid = plan["id"]
        plan_department[pid] = plan["department"]
        rows = sorted(plan["frame"], key=lambda r: r["id"].encode("utf-8"))
        lines = b"".join(r["id"].encode() + b"\t" + r["stratum"].encode() + b"\n" for r in rows)
        digests[pid] = H(lines)
        if digests[pid].hex() != plan["frame_digest"]:
            problems.append(f"plan {pid}: frame_digest differs")
        rules = {r["stratum"]: r for r in plan["strata"]}
        strata = {}
        for row in rows:
            strata.setdefault(row["stratum"], []).append(row["id"])
        expected, cutoffs = set(), {}
        for label, ids in strata.items():
            n = sample_size(len(ids), rules[label]) if label in rules else 0
            ranked = sorted(ids, key=lambda i: (prn(i), i.encode("utf-8")))[:n]
            expected.update((i, label, format(prn(i), "016x")) for i in ranked)
            if ranked:
                cutoffs[label] = format(prn(ranked[-1]), "016x")
        recorded = {(s["id"], s["stratum"], s["prn"]) for s in plan["selected"]}
        for item in sorted(expected - recorded):
            problems.append(f"plan {pid}: {item[0]} should be selected")
        for item in sorted(recorded - expected):
            problems.append(f"plan {pid}: {item[0]} should not be selected")
        if cutoffs != plan["cutoffs"]:
            problems.append(f"plan {pid}: cutoffs differ")
        for subject, _, _ in expected:
            drawn.setdefault(subject, set()).add(pid)
    round_input = b"".join(digests[p] for p in sorted(digests, key=lambda p: p.encode("utf-8")))
    if H(b"jianguan-draw/v1/round\x00" + round_input).hex() != record["round_digest"]:
        problems.append("round_digest differs")

    visits = {v["subject"]: v for v in record["visits"]}
    if set(visits) != set(drawn) or len(visits) != len(record["visits"]):
        problems.append("the visits are not exactly one per drawn subject")
    load = {}
    cap = record.get("cap")
    for subject in sorted(drawn, key=lambda s: (prn(s), s.encode("utf-8"))):
        visit = visits.get(subject)
        if visit is None:
            continue
        if sorted(visit["plans"]) != sorted(drawn[subject]):
            problems.append(f"visit {subject}: plans differ")
        departments = sorted({plan_department[p] for p in drawn[subject]})
        staffed = {d["department"]: d for d in visit["departments"]}
        if sorted(staffed) != departments:
            problems.append(f"visit {subject}: departments differ")
        for code in departments:
            part = staffed.get(code)
            if part is None:
                continue
            eligible, k = part["eligible"], part["k"]
            if k < 2:
                problems.append(f"visit {subject}/{code}: k below 2")
            if cap is not None and any(load.get(i, 0) >= cap for i in eligible):
                problems.append(f"visit {subject}/{code}: an eligible inspector had reached the cap")
            if len(eligible) < k:
                if not part["unstaffed"] or part["assigned"]:
                    problems.append(f"visit {subject}/{code}: should be unstaffed")
                continue

            def ticket(inspector: str) -> int:
                data = seed + b"insp\x00" + subject.encode() + b"\x00" + inspector.encode()
                return u64be(H(data))

            chosen = sorted(eligible, key=lambda i: (load.get(i, 0), ticket(i), i.encode("utf-8")))[:k]
            if part["unstaffed"] or sorted(chosen) != sorted(part["assigned"]):
                problems.append(f"visit {subject}/{code}: assigned {part['assigned']}, expected {chosen}")
            for inspector in chosen:
                load[inspector] = load.get(inspector, 0) + 1
    return problems


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: verify_record.py RECORD.json", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as handle:
            record = json.load(handle)
        problems = verify(record)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"error: cannot read the record: {error!r}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if not problems:
        print("conforms")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
