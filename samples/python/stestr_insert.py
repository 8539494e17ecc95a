"""Stores a subunit v2 stream (stdin) in the stestr repository of the working directory through
stestr's own inserter, with the options its repository API has: `--partial` (merge the failing
list instead of replacing it; stestr 4.2.1's `load` command no longer offers it) and `--id N`
(append to run N, as `stestr load --id N`)."""

import argparse
import sys

import subunit
from stestr.repository import file as file_repo


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--partial", action="store_true")
    parser.add_argument("--id", default=None)
    args = parser.parse_args()
    repo = file_repo.RepositoryFactory().open(".")
    inserter = repo.get_inserter(partial=args.partial, run_id=args.id)
    case = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout")
    inserter.startTestRun()
    try:
        case.run(inserter)
    finally:
        inserter.stopTestRun()


if __name__ == "__main__":
    main()
