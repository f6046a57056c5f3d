#!/usr/bin/env python3
"""Independent verifier of a jianguan-licence/v1 file (docs/licences.md).

    python3 tools/verify_licence.py LICENCE.json PUBLIC_KEY_HEX

Prints `valid` (exit 0) or the reason (exit 1); bad input exit 2. Its own
RFC 8785 canonical JSON (the licence object holds only objects, strings and
null) and Ed25519 from the `cryptography` package; nothing from jianguan.
"""

import json
import sys


def canonical(value):
    """RFC 8785 for objects, arrays, strings, booleans, null and integers."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        out = ['"']
        for ch in value:
            code = ord(ch)
            if ch == '"':
                out.append('\\"')
            elif ch == "\\":
                out.append("\\\\")
            elif ch == "\b":
                out.append("\\b")
            elif ch == "\t":
                out.append("\\t")
            elif ch == "\n":
                out.append("\\n")
            elif ch == "\f":
                out.append("\\f")
            elif ch == "\r":
                out.append("\\r")
            elif code < 0x20:
                out.append("\\u%04x" % code)
            else:
                out.append(ch)
        out.append('"')
        return "".join(out)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(canonical(k) + ":" + canonical(value[k]) for k in keys) + "}"
    raise ValueError("numbers other than integers are not in jianguan-licence/v1")


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        print("the cryptography package is not installed", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            licence = json.load(f)
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(argv[2].strip()))
    except (OSError, ValueError) as error:
        print(f"bad input: {error}", file=sys.stderr)
        return 2
    if not isinstance(licence, dict) or licence.get("schema") != "jianguan-licence/v1":
        print("not a jianguan-licence/v1 object")
        return 1
    unsigned = dict(licence)
    signature = unsigned.pop("signature", None)
    try:
        key.verify(bytes.fromhex(signature or ""), canonical(unsigned).encode("utf-8"))
    except (InvalidSignature, ValueError):
        print("the signature does not match the licence")
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
