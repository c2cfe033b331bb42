#!/usr/bin/python3
"""Writes the fuzzers' seed corpora (tests/fuzz/corpus/<target>/).

The seeds are committed; this script documents where they came from and
makes them again after a fixture or a shipped mapping changes. Everything
is derived from tests/fixtures/idoc, packaging/demo/inbound and
mappings/sap_idoc, plus the edge cases the parsers' headers name, plus
what the fuzzers found (tests/fuzz/crashes).
Run: /usr/bin/python3 tests/fuzz/make_corpus.py
"""
import glob
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(HERE, "corpus")
IDOC_FILES = sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/idoc/*")) +
                    glob.glob(os.path.join(ROOT, "packaging/demo/inbound/*/*")))
MAPPINGS = sorted(glob.glob(os.path.join(ROOT, "mappings/sap_idoc/*.json")))


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def is_xml(path):
    return path.endswith(".xml")


def is_flat(path):
    return path.endswith(".txt") or path.endswith(".idoc")


def xml_idocs(data):
    """Each <IDOC>..</IDOC> of an IDoc-XML file, wrapped in the file's prolog
    and root element, so that one seed is one IDoc."""
    first = data.find(b"<IDOC")
    if first < 0:
        return []
    head = data[:first]
    root = re.search(rb"<([A-Za-z0-9_]+)[^>]*>\s*$", head)
    tail = b"</" + root.group(1) + b">\n" if root else b""
    out = []
    for m in re.finditer(rb"<IDOC\b.*?</IDOC>", data, re.S):
        out.append(head + m.group(0) + b"\n" + tail)
    return out


def flat_idocs(data):
    """Each control record with its data records."""
    lines = data.splitlines(keepends=True)
    out, cur = [], []
    for line in lines:
        if line.startswith(b"EDI_DC40") and cur:
            out.append(b"".join(cur))
            cur = []
        cur.append(line)
    if cur:
        out.append(b"".join(cur))
    return out


def segment_json(elem):
    """The reader's JSON shape of a segment (idoc_reader.h)."""
    out = {}
    for child in elem:
        if child.get("SEGMENT") is not None or len(child):
            out.setdefault(child.tag, []).append(segment_json(child))
        elif child.text and child.text.rstrip():
            out[child.tag] = child.text.rstrip()
    return out


def idoc_records():
    for path in IDOC_FILES:
        if not is_xml(path):
            continue
        try:
            tree = ET.parse(path)
        except ET.ParseError:
            continue  # the malformed and truncated fixtures
        for idoc in tree.getroot().iter("IDOC"):
            record = segment_json(idoc)
            control = record.pop("EDI_DC40", [{}])[0]
            yield {"EDI_DC40": control, **record}


def field_values(names):
    values = set()
    for path in IDOC_FILES:
        if not is_xml(path):
            continue
        text = open(path, "rb").read().decode("latin-1")
        for name in names:
            values.update(re.findall(r"<%s>([^<]*)</%s>" % (name, name), text))
    return sorted(values)


def mapping_paths():
    paths = set()
    def walk(v, key=None):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, k)
        elif isinstance(v, list):
            for x in v:
                walk(x, key)
        elif isinstance(v, str) and key in ("path", "each"):
            paths.add(v)
    for m in MAPPINGS:
        text = open(m, encoding="utf-8").read()
        text = re.sub(r"^\s*//.*$", "", text, flags=re.M)  # the files' comments
        walk(json.loads(text))
    return sorted(paths)


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)

    for path in IDOC_FILES:
        base = os.path.basename(path)
        data = open(path, "rb").read()
        if is_xml(path):
            write("idoc_xml_fuzz", base, data)
            for i, one in enumerate(xml_idocs(data)):
                write("idoc_xml_fuzz", "%s.%d" % (base, i), one)
        elif is_flat(path):
            write("idoc_flat_fuzz", base, data)
            for i, one in enumerate(flat_idocs(data)):
                write("idoc_flat_fuzz", "%s.%d" % (base, i), one)

    amounts = field_values(["SUMME", "BETRG", "MOABETR", "NETWR", "KRATE", "MENGE"])
    dates = field_values(["DATUM", "CREDAT"])
    edge = ["1250.00-", "-1250.00", "+3", " 12.50 ", "100.00", "12.345", "0.001",
            "9223372036854775807", "-9223372036854775808", "92233720368547758.07",
            "1.", ".5", "USD1190.10", "JPY1000", "KWD1.234", "EUR1250.00-",
            "2026-11-25", "20261125", "2026-02-29", "2024-02-29", "0000-01-01", "9999-12-31",
            "2026-11-25T10:00:00Z", "2026-11-25T10:00:00.123+00:00",
            "2026-11-25 10:00:00-08:00", "9999-12-31T23:59:60-14:00"]
    for i, v in enumerate(amounts + dates + edge):
        write("money_date_fuzz", "seed.%d" % i, v)

    paths = mapping_paths() + ["$.EDI_DC40.DOCNUM", "E1EDP01[*].E1EDP26[QUALF=003].BETRG",
                               "E1EDKA1[1].PARTN", "EDI_DC40[0].DOCNUM"]
    for i, p in enumerate(paths):
        write("mapping_path_fuzz", "seed.%d" % i, p)
    qbo = {"Id": "130", "SyncToken": "0", "TotalAmt": 1190.10,
           "Line": [{"Amount": 1000.00, "LinkedTxn": [{"TxnId": "42", "TxnType": "Invoice"}]}]}
    write("mapping_path_fuzz", "qbo",
          "Line[*].LinkedTxn[TxnType=Invoice].TxnId\n" + json.dumps(qbo))
    write("mapping_path_fuzz", "qbo.1", "TotalAmt\n" + json.dumps(qbo))

    for m in MAPPINGS:
        write("mapping_fuzz", os.path.basename(m), open(m, "rb").read())

    for i, record in enumerate(idoc_records()):
        write("json_record_fuzz", "idoc.%d.json" % i, json.dumps(record, ensure_ascii=False))
    write("json_record_fuzz", "qbo.json", "// a QuickBooks invoice\n" + json.dumps(qbo, indent=1))
    write("json_record_fuzz", "exact.json", '{"a": 1190.10, "b": 1e400, "c": -0.0, "d": 18446744073709551615}')

    names = field_values(["NAME1"])
    keys = field_values(["BELNR"])
    for i, name in enumerate(names):
        key = keys[i % len(keys)] if keys else "90001235"
        write("mail_header_fuzz", "seed.%d" % i,
              "\0".join([name, key, "0000100042", "amount differs: 4,760.00 vs 4,670.00 EUR"]))
    for i, v in enumerate(["Plain ASCII Customer Inc", "=?UTF-8?B?w7w=?= encoded already",
                           "line\r\nBcc: victim@example.com", "tab\tand\x00nul",
                           "\u00fc" * 40, "\u2028 separator", "emoji \U0001F600 name"]):
        write("mail_header_fuzz", "edge.%d" % i, v)

    # QuickBooks response bodies as the API sends them, and one with a byte
    # that is not UTF-8 in an entity's string.
    qbo_dir = os.path.join(ROOT, "tests", "fixtures", "quickbooks")
    for name in sorted(os.listdir(qbo_dir)):
        path = os.path.join(qbo_dir, name)
        if name.endswith(".json") and os.path.isfile(path):
            write("qbo_response_fuzz", name, open(path, "rb").read())
    page = open(os.path.join(qbo_dir, "query_invoices.json"), "rb").read()
    write("qbo_response_fuzz", "query_invoices.latin1", page.replace(b'"Euro"', b'"Eur\xe9"', 1))
    write("qbo_response_fuzz", "count.json", b'{"QueryResponse":{"totalCount":2718},"time":"2026-11-25T10:00:00.000-08:00"}')

    # The HTTP reader: one connection's bytes, requests back to back.
    idoc = open(IDOC_FILES[0], "rb").read()[:1500] if IDOC_FILES else b"<IDOC/>"
    get = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    post = (b"POST /sap/idoc?sap-client=100 HTTP/1.1\r\nHost: arsync\r\n"
            b"Authorization: Basic c2FwOnNlY3JldA==\r\nContent-Type: application/xml\r\n"
            b"Content-Length: %d\r\n\r\n" % len(idoc)) + idoc
    chunked = (b"POST /webhooks/qbo HTTP/1.1\r\nHost: arsync\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"1a;ext=1\r\n{\"eventNotifications\": []}\r\n3\r\n\n  \r\n0\r\nX-Trailer: 1\r\n\r\n")
    http = {
        "get": get,
        "get-pipelined": b"\r\n" + get + get + b"GET /metrics HTTP/1.0\n\n",
        "post-idoc": post,
        "post-expect": post.replace(b"Content-Type", b"Expect: 100-continue\r\nContent-Type"),
        "chunked": chunked,
        "chunked-then-get": chunked + get,
        "chunked-too-large": b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n900\r\n" + b"a" * 64,
        "oversized-head": b"GET / HTTP/1.1\r\nHost: a\r\nX-Pad: " + b"p" * 1100 + b"\r\n\r\n",
        "oversized-body": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4096\r\n\r\nabc",
        "cl-and-te": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "cl-repeated": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        "cl-space-before-colon": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 3\r\n\r\nabc",
        "te-gzip-chunked": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "te-http10": b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "folded": b"GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n",
        "dot-segment": b"GET /sap/%2e%2e/admin HTTP/1.1\r\nHost: a\r\n\r\n",
        "http2": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "cut-off": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc",
    }
    for name, data in http.items():
        write("http_wire_fuzz", name, data)

    # What the fuzzers found (crashes/<target>/, replayed by ctest on its
    # own) is also a seed, to mutate from where a defect was.
    for path in sorted(glob.glob(os.path.join(HERE, "crashes", "*", "*"))):
        target = os.path.basename(os.path.dirname(path))
        write(target, "crash-" + os.path.basename(path), open(path, "rb").read())


if __name__ == "__main__":
    main()
