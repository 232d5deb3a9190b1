"""The laptop's side of sync with the office, in parts that collaborate.

- `protocol` (with `envelope`, `enrol_messages`, `change`, `feed`) and `wire`: the messages
  both sides speak (shared with the office server);
- `pinning`, `transport`: the pinned HTTP client and its typed errors (`errors`);
- `enrolment`: becoming a device of the office;
- `push` (with `uploads`), `pull`: local work out, the office's items in (each step on its
  own lane), and `pipeline`: the push's steps side by side across the lanes;
- `snapshots`, `conflicts`, `conflict_views`: a case as it travels, and two versions of it;
- `retention`, `status`: the office's policy on this laptop, and where it stands;
- `model`: the shared words (enums, values, the `Local`/`Host` seams);
- `run`: one synchronisation, the parts in their order.

Reached from the app and the CLI only through `services.sync`. Never imports services or Qt.
"""
