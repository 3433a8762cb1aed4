"""Apply the automations of deploy/automations/ (every *.yaml there) to the Prefect server of
PREFECT_API_URL, with the webhook block they notify through.

    scripts/apply-automations --webhook-url URL [--method POST]

- `--webhook-url` (or NEWSMON_WEBHOOK_URL, which keeps the URL out of the shell's history and
  `ps`) creates or replaces the Webhook block `newsmon-failure-webhook`; without it, the block
  must exist already (a re-apply after editing an automation).
- Each automation is in the format of `prefect automation create --from-file`, except that an
  action's `block_document_id` may name its block as BLOCK-TYPE/BLOCK-NAME: a file cannot know
  the id a block gets on a server; this script looks it up.
- An automation of the same name is replaced, so applying twice leaves one of each.

Exit status: 0 applied, 2 bad arguments, 4 no server configured or the server refused.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from uuid import UUID

import yaml

HERE = Path(__file__).resolve().parent
BLOCK_NAME = "newsmon-failure-webhook"
URL_VARIABLE = "NEWSMON_WEBHOOK_URL"


def automations_in(directory: Path) -> list[dict]:
    """Every automation of every *.yaml in `directory` (a file holds one, a list, or {automations: [...]})."""
    found = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += data["automations"] if isinstance(data, dict) and "automations" in data else [data]
    return found


def save_webhook_block(url: str, method: str) -> UUID:
    from prefect.blocks.webhook import Webhook

    return Webhook(url=url, method=method).save(BLOCK_NAME, overwrite=True)


def block_id(client, reference: str) -> str:
    """The id of a block named BLOCK-TYPE/BLOCK-NAME; an id is returned as it is."""
    try:
        return str(UUID(reference))
    except ValueError:
        block_type, _, name = reference.partition("/")
        return str(client.read_block_document_by_name(name=name, block_type_slug=block_type).id)


def apply(client, automation: dict) -> UUID:
    from prefect.events.schemas.automations import AutomationCore

    actions = [
        {**action, "block_document_id": block_id(client, action["block_document_id"])}
        if "block_document_id" in action
        else action
        for action in automation.get("actions", [])
    ]
    core = AutomationCore.model_validate({**automation, "actions": actions})
    for existing in client.read_automations_by_name(core.name):
        client.delete_automation(existing.id)
    return client.create_automation(core)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--webhook-url", default=os.environ.get(URL_VARIABLE), help=f"the webhook to call (default ${URL_VARIABLE})"
    )
    parser.add_argument("--method", default="POST", choices=["POST", "PUT", "PATCH", "GET"], help="default POST")
    arguments = parser.parse_args(argv)

    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        print(
            "error: PREFECT_API_URL is not set: point it at your Prefect server "
            "(`newsmon server status` prints the background server's URL)",
            file=sys.stderr,
        )
        return 4
    try:
        if arguments.webhook_url:
            save_webhook_block(arguments.webhook_url, arguments.method)
        with get_client(sync_client=True) as client:
            for automation in automations_in(HERE):
                print(f"applied automation {automation['name']}: {apply(client, automation)}")
    except ObjectNotFound as exc:
        print(
            f"error: an automation names a block that {PREFECT_API_URL.value()} does not have ({exc}); "
            f"--webhook-url creates {BLOCK_NAME}",
            file=sys.stderr,
        )
        return 4
    except Exception as exc:  # the server's or the file's complaint (a validation error is many lines): one line
        print(f"error: {type(exc).__name__}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
