#!/usr/bin/python3
"""Reads an email file with Python's email package (policy.default, as a
mail client would) and prints JSON: the decoded headers, each leaf part's
content type, charset, transfer encoding and decoded text, and every defect
the parser found. The alert tests check arsync's MIME with it instead of
arsync's own decoders."""
import email
import email.policy
import json
import sys

with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)

out = {"headers": {}, "parts": [], "defects": [repr(d) for d in msg.defects]}
for name in msg.keys():
    out["headers"][name] = str(msg[name])
for part in msg.walk():
    out["defects"] += [repr(d) for d in part.defects]
    if part.is_multipart():
        continue
    out["parts"].append({
        "content_type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "cte": part.get("Content-Transfer-Encoding", ""),
        "text": part.get_content(),
    })
json.dump(out, sys.stdout)
