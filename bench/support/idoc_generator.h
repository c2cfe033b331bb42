// Writes N synthetic but realistic INVOIC02 IDocs to a file, streaming (the
// generator holds one IDoc at a time), as IDoc-XML or SAP's flat format.
// Invoice i has billing document 9100000000+i, customer 1000+(i % 5000),
// gross amount (i % 100000) + 0.95 EUR. Used by bench/idoc_ingest and
// bench/daemon_cycle.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace arsync::bench {

enum class IdocFormat { kXml, kFlat };

// The values of invoice i, as the generator writes them.
struct InvoiceValues {
  std::string docnum;
  std::string billing_number;  // 10 digits with leading zeros
  std::string customer;        // 10 digits with leading zeros
  std::string customer_name;
  std::string gross;           // decimal text
  std::string tax;
  std::string net;
  std::string date;            // YYYYMMDD
};
InvoiceValues invoice_values(std::uint64_t i);

// Called with invoice i's values before it is written, to plant differences
// between two systems' files; returns false to leave invoice i out.
using InvoiceEdit = std::function<bool(std::uint64_t i, InvoiceValues& values)>;

// `segments_dir`: the flat-file segment layouts (mappings/sap_idoc/segments),
// read with the connector's own SegmentDefinitions.
// Returns the number of bytes written; throws std::runtime_error on I/O errors.
std::uint64_t write_invoic02_file(const std::string& path, std::uint64_t count, IdocFormat format,
                                  const std::string& segments_dir, const InvoiceEdit& edit = {});

}  // namespace arsync::bench
