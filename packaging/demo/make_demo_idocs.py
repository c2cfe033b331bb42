#!/usr/bin/python3
"""Writes the demo's IDoc files (packaging/demo/inbound/...).

The files are committed; this script documents how they were made and lets
anyone change the planted discrepancies. Run: /usr/bin/python3 make_demo_idocs.py
Two SAP systems mid-migration: a legacy ECC billing system (sap-ecc) and the
new S/4HANA system (sap-s4). Planted (see README "Demo"):
  90001235  amount differs (4,760.00 vs 4,670.00 EUR)
  90001236  missing in sap-s4
  90001237  duplicate in sap-s4 (loaded twice by the migration)
  90001238  currency differs (GBP vs EUR)
  90001234  short payment in sap-s4 (1,190.00 invoiced, 1,100.00 paid)
  90009999  payment applied to an unknown invoice
  IDoc 0000000000451240 in the ECC file is malformed and must be quarantined.
"""
import json
import os
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))


def seg(name, fields, children=()):
    return (name, [(k, v) for k, v in fields if v != ""], list(children))


def to_xml(node, indent="    "):
    name, fields, children = node
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields)
    inner += "".join(to_xml(c, "") for c in children)
    return f"{indent}<{name} SEGMENT=\"1\">{inner}</{name}>"


def control(docnum, idoctyp, mestyp, sndprn, sndpor, credat, cretim):
    return seg("EDI_DC40", [
        ("TABNAM", "EDI_DC40"), ("MANDT", "100"), ("DOCNUM", docnum), ("DOCREL", "756"),
        ("STATUS", "30"), ("DIRECT", "1"), ("OUTMOD", "2"), ("IDOCTYP", idoctyp),
        ("MESTYP", mestyp), ("SNDPOR", sndpor), ("SNDPRT", "LS"), ("SNDPRN", sndprn),
        ("RCVPOR", "ARSYNC"), ("RCVPRT", "LS"), ("RCVPRN", "ARSYNC"),
        ("CREDAT", credat), ("CRETIM", cretim)])


def idoc_xml(segs):
    return "<IDOC BEGIN=\"1\">\n" + "\n".join(to_xml(s) for s in segs) + "\n  </IDOC>"


# Flat files: EDI_DC40 and EDI_DD40 at SAP's fixed offsets; segment fields
# laid out by mappings/sap_idoc/segments/<IDOCTYP>.json.
CONTROL = [("TABNAM", 10), ("MANDT", 3), ("DOCNUM", 16), ("DOCREL", 4), ("STATUS", 2),
           ("DIRECT", 1), ("OUTMOD", 1), ("EXPRSS", 1), ("TEST", 1), ("IDOCTYP", 30),
           ("CIMTYP", 30), ("MESTYP", 30), ("MESCOD", 3), ("MESFCT", 3), ("STD", 1),
           ("STDVRS", 6), ("STDMES", 6), ("SNDPOR", 10), ("SNDPRT", 2), ("SNDPFC", 2),
           ("SNDPRN", 10), ("SNDSAD", 21), ("SNDLAD", 70), ("RCVPOR", 10), ("RCVPRT", 2),
           ("RCVPFC", 2), ("RCVPRN", 10), ("RCVSAD", 21), ("RCVLAD", 70), ("CREDAT", 8),
           ("CRETIM", 6), ("REFINT", 14), ("REFGRP", 14), ("REFMES", 14), ("ARCKEY", 70),
           ("SERIAL", 20)]


def load_segments(idoctyp):
    path = os.path.join(HERE, "..", "..", "mappings", "sap_idoc", "segments", idoctyp + ".json")
    text = "\n".join(line.split("//")[0] if line.lstrip().startswith("//") else line
                     for line in open(path, encoding="utf-8"))
    return json.loads(text)


def fixed(values, layout):
    out = ""
    for name, width in layout:
        v = values.get(name, "")
        assert len(v) <= width, (name, v)
        out += v.ljust(width)
    return out.rstrip()


def idoc_flat(segs, layouts):
    ctl = dict(segs[0][1])
    lines = [fixed(ctl, CONTROL)]
    counter = [0]

    def walk(node, parent, level):
        name, fields, children = node
        counter[0] += 1
        number = counter[0]
        sdata = fixed(dict(fields), layouts[name])
        lines.append(name.ljust(30) + ctl["MANDT"].ljust(3) + ctl["DOCNUM"].ljust(16) +
                     f"{number:06d}" + f"{parent:06d}" + f"{level:02d}" + sdata)
        for c in children:
            walk(c, number, level + 1)

    for s in segs[1:]:
        walk(s, 0, 2)
    return "\r\n".join(lines) + "\r\n"


def invoice(sys, docnum, belnr, ref, billing_type, customer, name, currency, net, tax,
            gross, date, days, po, items):
    sndprn, sndpor = sys
    segs = [control(docnum, "INVOIC02", "INVOIC", sndprn, sndpor, "20261124", "221500")]
    segs.append(seg("E1EDK01", [("CURCY", currency), ("HWAER", "EUR"), ("ZTERM", f"ZN{days:02d}"),
                                ("BSART", "INVO"), ("BELNR", belnr)]))
    segs.append(seg("E1EDKA1", [("PARVW", "AG"), ("PARTN", customer), ("NAME1", name)]))
    segs.append(seg("E1EDKA1", [("PARVW", "RG"), ("PARTN", customer), ("NAME1", name)]))
    segs.append(seg("E1EDK02", [("QUALF", "001"), ("BELNR", po), ("DATUM", date)]))
    segs.append(seg("E1EDK02", [("QUALF", "009"), ("BELNR", ref), ("DATUM", date)]))
    segs.append(seg("E1EDK03", [("IDDAT", "026"), ("DATUM", date)]))
    segs.append(seg("E1EDK14", [("QUALF", "015"), ("ORGID", billing_type)]))
    segs.append(seg("E1EDK18", [("QUALF", "001"), ("TAGE", str(days)), ("PRZNT", "")]))
    for n, (material, qty, value) in enumerate(items, start=1):
        segs.append(seg("E1EDP01", [("POSEX", f"{n * 10:06d}"), ("MENGE", qty), ("MENEE", "PCE")], [
            seg("E1EDP19", [("QUALF", "002"), ("IDTNR", material)]),
            seg("E1EDP26", [("QUALF", "003"), ("BETRG", value)]),
        ]))
    segs.append(seg("E1EDS01", [("SUMID", "002"), ("SUMME", net), ("WAERQ", currency)]))
    segs.append(seg("E1EDS01", [("SUMID", "005"), ("SUMME", tax), ("WAERQ", currency)]))
    segs.append(seg("E1EDS01", [("SUMID", "011"), ("SUMME", gross), ("WAERQ", currency)]))
    return segs


def payment_advice(sys, docnum, ref, customer, name, currency, total, value_date, items):
    sndprn, sndpor = sys
    segs = [control(docnum, "PEXR2002", "REMADV", sndprn, sndpor, "20261124", "230000")]
    segs.append(seg("E1IDKU1", [("BGMTYP", "481"), ("BGMREF", ref)]))
    segs.append(seg("E1EDK03", [("IDDAT", "012"), ("DATUM", value_date)]))
    segs.append(seg("E1IDKU3", [("PARVW", "RG"), ("PARTN", customer), ("NAME1", name)]))
    segs.append(seg("E1IDKU5", [("MOAQUAL", "002"), ("MOABETR", total), ("CUXWAERZ", currency)]))
    for invoice_no, gross, paid in items:
        segs.append(seg("E1IDPU1", [("DOCNAME", "380"), ("DOCNUMMR", invoice_no)], [
            seg("E1EDP03", [("IDDAT", "003"), ("DATUM", value_date)]),
            seg("E1IDPU5", [("MOAQUAL", "002"), ("MOABETR", paid), ("CUXWAERZ", currency)]),
            seg("E1IDPU5", [("MOAQUAL", "003"), ("MOABETR", gross), ("CUXWAERZ", currency)]),
        ]))
    return segs


def idoc_file(root, idocs):
    body = "\n".join("  " + idoc_xml(i) for i in idocs)
    return f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root}>\n{body}\n</{root}>\n"


ECC = ("ECCCLNT100", "SAPECC")
S4 = ("S4HCLNT100", "SAPS4H")
MUELLER = ("0000100042", "Müller Maschinenbau GmbH")
NORDLICHT = ("0000100077", "Nordlicht Logistik AG")
BRIGHTWATER = ("0000100093", "Brightwater Foods Ltd")

ecc = [
    invoice(ECC, "0000000000451234", "0090001234", "0090001234", "F2", *MUELLER, "EUR",
            "1000.00", "190.00", "1190.00", "20261102", 30, "PO-77812",
            [("MAT-100", "5", "1000.00")]),
    invoice(ECC, "0000000000451235", "0090001235", "0090001235", "F2", *NORDLICHT, "EUR",
            "4000.00", "760.00", "4760.00", "20261103", 30, "4500019921",
            [("MAT-220", "8", "2400.00"), ("SRV-010", "16", "1600.00")]),
    invoice(ECC, "0000000000451236", "0090001236", "0090001236", "F2", *MUELLER, "EUR",
            "2000.00", "380.00", "2380.00", "20261104", 30, "PO-77840",
            [("MAT-100", "10", "2000.00")]),
    invoice(ECC, "0000000000451237", "0090001237", "0090001237", "F2", *NORDLICHT, "EUR",
            "850.00", "161.50", "1011.50", "20261105", 14, "4500019980",
            [("SRV-010", "8.5", "850.00")]),
    invoice(ECC, "0000000000451238", "0090001238", "0090001238", "F2", *BRIGHTWATER, "GBP",
            "1250.00", "250.00", "1500.00", "20261106", 30, "BW-2026-118",
            [("MAT-310", "50", "1250.00")]),
    invoice(ECC, "0000000000451239", "0090001239", "0090001239", "G2", *NORDLICHT, "EUR",
            "200.00", "38.00", "238.00", "20261110", 0, "4500019921",
            [("MAT-220", "1", "200.00")]),
]
# A malformed IDoc: the sender cut the E1EDS01 segment (mismatched end tag).
bad = invoice(ECC, "0000000000451240", "0090001240", "0090001240", "F2", *MUELLER, "EUR",
              "300.00", "57.00", "357.00", "20261112", 30, "PO-77901", [("MAT-100", "1", "300.00")])
ecc_xml = [idoc_xml(i) for i in ecc]
bad = idoc_xml(bad).replace("<SUMME>357.00</SUMME>", "<SUMME>357.00</SUMM>")
ecc_xml.insert(4, bad)

s4 = [
    invoice(S4, "0000000000088001", "0095000001", "0090001234", "F2", *MUELLER, "EUR",
            "1000.00", "190.00", "1190.00", "20261102", 30, "PO-77812",
            [("MAT-100", "5", "1000.00")]),
    invoice(S4, "0000000000088002", "0095000002", "0090001235", "F2", *NORDLICHT, "EUR",
            "3924.37", "745.63", "4670.00", "20261103", 30, "4500019921",
            [("MAT-220", "8", "2324.37"), ("SRV-010", "16", "1600.00")]),
    invoice(S4, "0000000000088003", "0095000003", "0090001237", "F2", *NORDLICHT, "EUR",
            "850.00", "161.50", "1011.50", "20261105", 14, "4500019980",
            [("SRV-010", "8.5", "850.00")]),
    invoice(S4, "0000000000088004", "0095000004", "0090001237", "F2", *NORDLICHT, "EUR",
            "850.00", "161.50", "1011.50", "20261105", 14, "4500019980",
            [("SRV-010", "8.5", "850.00")]),
    invoice(S4, "0000000000088005", "0095000005", "0090001238", "F2", *BRIGHTWATER, "EUR",
            "1250.00", "250.00", "1500.00", "20261106", 30, "BW-2026-118",
            [("MAT-310", "50", "1250.00")]),
    invoice(S4, "0000000000088006", "0095000006", "0090001239", "G2", *NORDLICHT, "EUR",
            "200.00", "38.00", "238.00", "20261110", 0, "4500019921",
            [("MAT-220", "1", "200.00")]),
]

os.makedirs(os.path.join(HERE, "inbound", "sap-ecc"), exist_ok=True)
os.makedirs(os.path.join(HERE, "inbound", "sap-s4"), exist_ok=True)
with open(os.path.join(HERE, "inbound", "sap-ecc", "ECC_INVOIC_20261124_221500.xml"), "w") as f:
    f.write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<INVOIC02>\n" +
            "\n".join("  " + i for i in ecc_xml) + "\n</INVOIC02>\n")
# S/4 sends its invoices through a file port in SAP's flat format.
layouts = load_segments("INVOIC02")
with open(os.path.join(HERE, "inbound", "sap-s4", "S4_INVOIC_20261124_221500.idoc"), "w",
          encoding="utf-8", newline="") as f:
    f.write("".join(idoc_flat(i, layouts) for i in s4))
payments = [
    # Müller pays 1,100.00 of invoice 90001234's 1,190.00: a short payment.
    payment_advice(S4, "0000000000088101", "PAY-2026-00871", *MUELLER, "EUR", "1100.00",
                   "20261120", [("0090001234", "1190.00", "1100.00")]),
    # Nordlicht quotes an invoice number that exists in no system.
    payment_advice(S4, "0000000000088102", "PAY-2026-00872", *NORDLICHT, "EUR", "500.00",
                   "20261121", [("0090009999", "500.00", "500.00")]),
]
with open(os.path.join(HERE, "inbound", "sap-s4", "S4_REMADV_20261124_230000.xml"), "w") as f:
    f.write(idoc_file("PEXR2002", payments))
print("wrote demo IDoc files")
