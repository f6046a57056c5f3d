#!/usr/bin/env python3
"""Independent verifier of jianguan-draw/v1 documents, written from spec/draw-v1.md
and spec/draw-v1-public-view.md alone.

Anyone can run it with nothing but Python's standard library:

    python3 tools/verify_record.py RECORD.json          # a full record (§7) or a public view
    python3 tools/verify_record.py PUBLIC.json --full FULL.json   # adds check 5
    python3 tools/verify_record.py --vectors draw-v1-public-view-vectors.json

It says which checks it ran, then prints `conforms` and exits 0, or prints one
line per deviation and exits 1; unreadable input exits 2. It shares no code
with the Rust implementation, so the two check each other.
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

    problems += check_visits(record, seed, drawn, plan_department)
    return problems



def check_visits(document: dict, seed: bytes, drawn: dict, plan_department: dict) -> list:
    """§6: one visit per drawn subject, its plans and departments, and the matching."""
    problems = []

    def prn(subject: str) -> int:
        return u64be(H(seed + subject.encode("utf-8")))

    record = document
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


FULL_RECORD_CHECKS = "commitment and seed (§1), frame digests and round digest (§5), selection and cut-offs (§3-4), visits (§6)"


def by_bytes(text: str) -> bytes:
    return text.encode("utf-8")


def seed_checks(document: dict, problems: list) -> bytes:
    """Public-view checks 1 and 2 (first half): the commitment and the round seed."""
    secret = bytes.fromhex(document["secret"])
    if H(b"jianguan-draw/v1/commit\x00" + secret).hex() != document["commitment"]:
        problems.append("check 1: commitment does not match the secret")
    seed = H(b"jianguan-draw/v1/seed\x00" + secret + H(document["beacon"].encode("utf-8")))
    if seed.hex() != document["round_seed"]:
        problems.append("check 2: round_seed does not follow from the secret and the beacon")
    return seed


def derive_public_view(record: dict, full_bytes: bytes) -> dict:
    """Addendum §1: the public view of a full record whose exported bytes are `full_bytes`."""
    view = {"protocol": record["protocol"], "view": "public", "full_record_sha256": H(full_bytes).hex()}
    for field in ("commitment", "secret", "beacon", "round_seed", "round_digest", "cap"):
        if record.get(field) is not None:
            view[field] = record[field]
    plans = []
    for plan in record["plans"]:
        population = {}
        for row in plan["frame"]:
            population[row["stratum"]] = population.get(row["stratum"], 0) + 1
        strata = []
        for rule in plan["strata"]:
            label = rule["stratum"]
            if label not in population:
                continue
            entry = {"stratum": label}
            entry.update({key: rule[key] for key in ("rate_bp", "count") if key in rule})
            entry["population"] = population.pop(label)
            entry["sample"] = sample_size(entry["population"], rule)
            strata.append(entry)
        for label in sorted(population, key=by_bytes):
            strata.append({"stratum": label, "population": population[label], "sample": 0})
        selected = sorted(plan["selected"], key=lambda s: (int(s["prn"], 16), by_bytes(s["id"])))
        plans.append({
            "id": plan["id"],
            "department": plan["department"],
            "frame_digest": plan["frame_digest"],
            "frame_ids": sorted((row["id"] for row in plan["frame"]), key=by_bytes),
            "strata": strata,
            "selected": [{"id": s["id"], "prn": s["prn"]} for s in selected],
        })
    view["plans"] = plans
    view["visits"] = record["visits"]
    return view


def verify_public(view: dict, full_bytes=None) -> list:
    """Addendum §2: checks 1-4, and check 5 when the full record's bytes are given."""
    problems = []
    if view.get("protocol") != "jianguan-draw/v1" or view.get("view") != "public":
        problems.append("not a jianguan-draw/v1 public view")
    seed = seed_checks(view, problems)
    plan_ids = sorted((plan["id"] for plan in view["plans"]), key=by_bytes)
    digests = {plan["id"]: bytes.fromhex(plan["frame_digest"]) for plan in view["plans"]}
    if len(digests) != len(view["plans"]):
        problems.append("check 2: a plan id is used more than once")
    round_input = b"".join(digests[p] for p in plan_ids)
    if H(b"jianguan-draw/v1/round\x00" + round_input).hex() != view["round_digest"]:
        problems.append("check 2: round_digest does not follow from the frame digests")

    drawn, plan_department = {}, {}
    for plan in view["plans"]:
        pid = plan["id"]
        plan_department[pid] = plan["department"]
        ids = plan["frame_ids"]
        if any(by_bytes(a) >= by_bytes(b) for a, b in zip(ids, ids[1:])):
            problems.append(f"check 3: plan {pid}: frame_ids are not sorted and unique")
        members = set(ids)
        total_population, total_sample = 0, 0
        for stratum in plan["strata"]:
            total_population += stratum["population"]
            total_sample += stratum["sample"]
            rules = [key for key in ("rate_bp", "count") if key in stratum]
            if len(rules) == 2:
                problems.append(f"check 3: plan {pid}: stratum {stratum['stratum']} gives both a rate and a count")
                continue
            expected = sample_size(stratum["population"], stratum) if rules else 0
            if stratum["sample"] != expected:
                problems.append(f"check 3: plan {pid}: stratum {stratum['stratum']}: sample {stratum['sample']}, expected {expected}")
        if total_population != len(ids):
            problems.append(f"check 3: plan {pid}: populations sum to {total_population}, frame has {len(ids)} ids")
        if len(plan["selected"]) != total_sample:
            problems.append(f"check 3: plan {pid}: {len(plan['selected'])} selected, samples sum to {total_sample}")
        keys = []
        for selection in plan["selected"]:
            subject = selection["id"]
            value = u64be(H(seed + subject.encode("utf-8")))
            if subject not in members:
                problems.append(f"check 3: plan {pid}: {subject} is selected but not in frame_ids")
            if format(value, "016x") != selection["prn"]:
                problems.append(f"check 3: plan {pid}: {subject}: prn {selection['prn']}, expected {value:016x}")
            keys.append((int(selection["prn"], 16), by_bytes(subject)))
            drawn.setdefault(subject, set()).add(pid)
        if keys != sorted(set(keys)):
            problems.append(f"check 3: plan {pid}: selected is not in (prn, id) order, or repeats an id")
    problems += ["check 4: " + p for p in check_visits(view, seed, drawn, plan_department)]

    if full_bytes is not None:
        if H(full_bytes).hex() != view.get("full_record_sha256"):
            problems.append("check 5: full_record_sha256 is not the SHA-256 of the full record's bytes")
        derived = derive_public_view(json.loads(full_bytes.decode("utf-8")), full_bytes)
        for field in sorted(set(derived) | set(view)):
            if derived.get(field) != view.get(field):
                problems.append(f"check 5: {field} differs from the view derived from the full record")
    return problems


def verify_vectors(vectors: dict) -> list:
    """Every case of draw-v1-public-view-vectors.json: its full record, and its view with check 5."""
    problems = []
    for case in vectors["cases"]:
        full_bytes = case["full_record"].encode("utf-8")
        problems += [f"{case['name']}: full record: {p}" for p in verify(json.loads(full_bytes.decode("utf-8")))]
        problems += [f"{case['name']}: public view: {p}" for p in verify_public(case["public_view"], full_bytes)]
    return problems

def main() -> int:
    args = sys.argv[1:]
    usage = "usage: verify_record.py DOCUMENT.json [--full FULL.json] | --vectors VECTORS.json"
    try:
        if len(args) == 2 and args[0] == "--vectors":
            with open(args[1], encoding="utf-8") as handle:
                vectors = json.load(handle)
            print(f"checks run: every full record, and checks 1 2 3 4 5 on its public view ({len(vectors['cases'])} cases)")
            problems = verify_vectors(vectors)
        elif len(args) in (1, 3) and not args[0].startswith("--") and (len(args) == 1 or args[1] == "--full"):
            with open(args[0], encoding="utf-8") as handle:
                document = json.load(handle)
            full_bytes = None
            if len(args) == 3:
                with open(args[2], "rb") as handle:
                    full_bytes = handle.read()
            if document.get("view") == "public":
                print("checks run: 1 2 3 4" + (" 5" if full_bytes is not None else "") + " (public view)")
                problems = verify_public(document, full_bytes)
            elif full_bytes is not None:
                print(usage, file=sys.stderr)
                return 2
            else:
                print(f"checks run: full record: {FULL_RECORD_CHECKS}")
                problems = verify(document)
        else:
            print(usage, file=sys.stderr)
            return 2
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        print(f"error: cannot read the document: {error!r}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if not problems:
        print("conforms")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
