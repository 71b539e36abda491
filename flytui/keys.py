"""What each key does, in words: the help screen (``?``) and the command palette read these tables."""

from __future__ import annotations

HELP_WHERE = {
    "seek": "Messages", "filter": "Messages", "search_topic": "Messages", "next_match": "Messages",
    "previous_match": "Messages",
    "tail": "Messages", "tail_backlog": "Messages", "copy_value": "Messages", "copy_record": "Messages",
    "edit_resend": "Messages", "export": "Messages", "produce": "Messages", "commit": "Consumer groups",
    "undo_commit": "Consumer groups", "export_offsets": "Consumer groups", "lag_chart": "Consumer groups",
    "replay_one": "Dead letters", "replay_all": "Dead letters", "purge_dlq": "Dead letters",
}
"""The pane each action belongs to, for grouping the help screen (default: everywhere)."""

HELP_TEXT = {
    "quit": "Quit flytui",
    "help": "This help",
    "next_pane": "Focus the next pane",
    "previous_pane": "Focus the previous pane",
    "back": "Back: leave the filter, then towards the topics",
    "open": "Open the topic / partition / record under the cursor",
    "focus_pane": "Jump to a pane",
    "seek": "Jump to an offset: 123, +N, -N, beginning, end, end-N, group:NAME",
    "filter": "Filter the stream (it stays on every partition and in the tail): text or regex for the broker, or "
              "a query like $.status == \"paid\" and key ~ /^cust-01/ (on topics: filter the list)",
    "search_topic": "Search every partition of the topic from a start (beginning, end-N, group:NAME); enter "
                    "on a match opens it in the stream, esc cancels the scan",
    "next_match": "Next record matching the filter",
    "previous_match": "Previous record matching the filter",
    "tail": "Live tail of every partition from now (toggle; stopping browses the selected record)",
    "tail_backlog": "Live tail that starts with the last N records of each partition (asks for N)",
    "decode_mode": "Cycle how values are shown: auto, text, JSON, hex, base64, protobuf, msgpack (keys keep theirs)",
    "key_decode_mode": "Cycle how keys are shown (the same modes; values keep theirs)",
    "choose_schema": "Choose the registered schema that decodes the topic's values (default: named like the topic)",
    "copy_value": "Copy the selected value to the clipboard (OSC 52)",
    "copy_record": "Copy the selected record as JSON to the clipboard (OSC 52)",
    "commit": "Move a group's committed offsets (or from a CSV file): plan, type commit, read back",
    "undo_commit": "Undo the last commit: plan back to the offsets it replaced (saved in the journal)",
    "export_offsets": "Save a group's committed offsets on the topic to a CSV file (topic,partition,offset)",
    "export": "Export records to a JSONL file",
    "produce": "Produce a record to the open topic",
    "edit_resend": "Edit the selected record and produce it again",
    "replay_one": "Replay the selected dead letter to its original topic",
    "replay_all": "Replay every dead letter of the topic",
    "purge_dlq": "Delete the dead-letter queue of the topic",
    "lag_chart": "Chart of the selected group's lag over the last 5 / 15 / 60 minutes: is it draining?",
    "refresh_now": "Refresh topics, watermarks and groups now",
    "compare_nodes": "Nodes view: every server of the list read on its own, watermarks and group offsets side by "
                     "side, where the nodes differ marked",
}
"""One line per action, shown in the help screen and the palette."""
