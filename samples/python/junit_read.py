"""Reads a JUnit XML file with junitparser and prints what it found as JSON.

Usage: junit_read.py FILE

Prints one JSON object: {"suites": [{"name", "tests", "failures", "errors", "skipped", "time",
"cases": [{"classname", "name", "time", "results": [{"kind", "type", "message", "text"}]}]}]}.
`kind` is the result element's tag (failure, error, skipped). A file whose root is a single
<testsuite> reads as one suite, as junitparser presents it.
"""

import json
import sys

from junitparser import JUnitXml, TestSuite


def case_json(case):
    return {
        "classname": case.classname,
        "name": case.name,
        "time": case.time,
        "results": [
            {
                "kind": result._tag,
                "type": result.type,
                "message": result.message,
                "text": result.text,
            }
            for result in case.result
        ],
    }


def suite_json(suite):
    return {
        "name": suite.name,
        "tests": suite.tests,
        "failures": suite.failures,
        "errors": suite.errors,
        "skipped": suite.skipped,
        "time": suite.time,
        "cases": [case_json(case) for case in suite],
    }


def main():
    xml = JUnitXml.fromfile(sys.argv[1])
    suites = [xml] if isinstance(xml, TestSuite) and not isinstance(xml, JUnitXml) else list(xml)
    json.dump({"suites": [suite_json(s) for s in suites]}, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
