#!/usr/bin/env python3
"""Count test results in meson's testlog.json: every TAP subtest ("ok N",
"not ok N") of a TAP test, and every other meson test as one. A TAP test that
failed without reporting a failing subtest (crash, timeout, missing plan
entries) counts its unreported cases as failed (at least one). Prints the
skipped count on one line, then exactly one final line "N passed, N failed".
An optional second file lists gate results ("pass NAME" / "fail NAME"),
each counted as one test. Exit status 1 if anything failed or no test ran."""
import json
import re
import sys

OK = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}


def count(path):
    passed = failed = skipped = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            result = t.get("result", "ERROR")
            out = t.get("stdout") or ""
            oks = nots = skips = 0
            plan = None
            for l in out.splitlines():
                m = re.match(r"^(not ok|ok)\b(.*)$", l)
                if m:
                    directive = m.group(2).upper()
                    if "# SKIP" in directive:
                        skips += 1
                    elif m.group(1) == "ok":
                        oks += 1
                    else:
                        nots += 1
                    continue
                m = re.match(r"^1\.\.(\d+)", l)
                if m:
                    plan = int(m.group(1))
            if oks + nots + skips == 0:  # not a TAP test: one result
                if result in OK:
                    passed += 1
                elif result in SKIP:
                    skipped += 1
                else:
                    failed += 1
                continue
            passed += oks
            skipped += skips
            failed += nots
            if result not in OK and result not in SKIP:
                missing = (plan - (oks + nots + skips)) if plan else 0
                failed += max(missing, 0 if nots else 1)
    return passed, failed, skipped


def count_gates(path):
    """Gate results written by test.sh: one line "pass NAME" or "fail NAME"."""
    passed = failed = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            word = line.split(" ", 1)[0]
            if word == "pass":
                passed += 1
            elif word == "fail":
                failed += 1
    return passed, failed


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json"
    try:
        passed, failed, skipped = count(path)
        if len(sys.argv) > 2:  # gates (sanitizers, valgrind, TSan): one result each
            gp, gf = count_gates(sys.argv[2])
            passed += gp
            failed += gf
    except OSError as e:
        print(f"cannot read {path}: {e}")
        print("0 passed, 1 failed")
        return 1
    if skipped:
        print(f"({skipped} skipped)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
