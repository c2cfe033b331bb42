// A hand-written tokenizer and recursive-descent parser: the grammar is
// small and flat, and the error messages must name a token and a column the
// way Intuit's JavaCC parser does, which a generated parser would not give us.
#include "query_parser.h"

#include <cctype>
#include <charconv>

namespace arsync::emulators::quickbooks {
namespace {

enum class Tok { kWord, kString, kStar, kLParen, kRParen, kComma, kOp, kEnd };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // words as written, strings unquoted, operators as written
  size_t column = 0;  // 1-based
};

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == ':';
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// Splits `text` into tokens; returns false with `error` set on a lexical error.
bool tokenize(std::string_view text, std::vector<Token>& out, std::string& error) {
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == '+') {
      ++i;
      continue;
    }
    Token t;
    t.column = i + 1;
    if (c == '\'') {
      t.kind = Tok::kString;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          t.text += text[i + 1];
          i += 2;
          continue;
        }
        if (text[i] == '\'') {
          closed = true;
          ++i;
          break;
        }
        t.text += text[i++];
      }
      if (!closed) {
        error = "QueryParserError: Invalid content. Lexical error at line 1, column " +
                std::to_string(text.size() + 1) + ".  Encountered: <EOF> after : \"'" + t.text +
                "\"";
        return false;
      }
    } else if (c == '*') {
      t.kind = Tok::kStar;
      t.text = "*";
      ++i;
    } else if (c == '(') {
      t.kind = Tok::kLParen;
      t.text = "(";
      ++i;
    } else if (c == ')') {
      t.kind = Tok::kRParen;
      t.text = ")";
      ++i;
    } else if (c == ',') {
      t.kind = Tok::kComma;
      t.text = ",";
      ++i;
    } else if (c == '=' || c == '<' || c == '>' || c == '!') {
      t.kind = Tok::kOp;
      t.text = c;
      ++i;
      if (i < text.size() && (text[i] == '=' || (c == '<' && text[i] == '>'))) t.text += text[i++];
    } else if (is_word_char(c)) {
      t.kind = Tok::kWord;
      while (i < text.size() && is_word_char(text[i])) t.text += text[i++];
    } else {
      error = "QueryParserError: Invalid content. Lexical error at line 1, column " +
              std::to_string(i + 1) + ".  Encountered: \"" + std::string(1, c) + "\" (" +
              std::to_string(static_cast<unsigned char>(c)) + "), after : \"\"";
      return false;
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.kind = Tok::kEnd;
  end.column = text.size() + 1;
  out.push_back(end);
  return true;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  ParseOutcome run() {
    ParseOutcome out;
    Query q;
    if (!statement(q)) {
      out.error = error_;
      return out;
    }
    out.query = std::move(q);
    return out;
  }

 private:
  const Token& peek() const { return toks_[pos_]; }
  const Token& next() { return toks_[pos_ == toks_.size() - 1 ? pos_ : pos_++]; }
  bool at_keyword(std::string_view kw) const {
    return peek().kind == Tok::kWord && iequals(peek().text, kw);
  }

  // Intuit's wording: Encountered " <IDENTIFIER> "R "" at line 1, column 52.
  bool fail(std::string_view expecting) {
    const Token& t = peek();
    std::string shown = t.kind == Tok::kEnd ? "<EOF>" : t.text;
    if (t.kind == Tok::kString) shown = "'" + t.text + "'";
    error_ = "QueryParserError: Encountered \" " + shown + " \" at line 1, column " +
             std::to_string(t.column) + ".\nWas expecting:\n    " + std::string(expecting);
    return false;
  }

  bool statement(Query& q) {
    if (peek().kind == Tok::kEnd) {
      error_ = "QueryParserError: The query provided was empty";
      return false;
    }
    if (!at_keyword("select")) return fail("\"select\" ...");
    next();
    if (peek().kind == Tok::kStar) {
      next();
    } else if (at_keyword("count")) {
      next();
      if (peek().kind != Tok::kLParen) return fail("\"(\" ...");
      next();
      if (peek().kind != Tok::kStar) return fail("\"*\" ...");
      next();
      if (peek().kind != Tok::kRParen) return fail("\")\" ...");
      next();
      q.count = true;
    } else {
      // Projections exist in Intuit's grammar but return every property
      // anyway; the connector never needs them, so they are refused here.
      return fail("\"*\" ...\n    \"count\" ...");
    }
    if (!at_keyword("from")) return fail("\"from\" ...");
    next();
    if (peek().kind != Tok::kWord) return fail("<IDENTIFIER> ...");
    q.entity = next().text;
    if (at_keyword("where")) {
      next();
      for (;;) {
        Condition c;
        if (!condition(c)) return false;
        q.where.push_back(std::move(c));
        if (at_keyword("and")) {
          next();
          continue;
        }
        break;
      }
    }
    if (at_keyword("order")) {
      next();
      if (!at_keyword("by")) return fail("\"by\" ...");
      next();
      if (!order_terms(q)) return false;
    } else if (at_keyword("orderby")) {
      next();
      if (!order_terms(q)) return false;
    }
    for (;;) {
      if (at_keyword("startposition")) {
        next();
        int64_t n = 0;
        if (!integer(n)) return false;
        q.start_position = n;
      } else if (at_keyword("maxresults")) {
        next();
        int64_t n = 0;
        if (!integer(n)) return false;
        q.max_results = n;
      } else {
        break;
      }
    }
    if (peek().kind != Tok::kEnd) {
      return fail(
          "<EOF> \n    <AND> ...\n    \"maxresults\" ...\n    \"orderby\" ...\n    "
          "\"startposition\" ...");
    }
    return true;
  }

  bool condition(Condition& c) {
    if (peek().kind != Tok::kWord || at_keyword("or")) return fail("<IDENTIFIER> ...");
    c.field = next().text;
    if (at_keyword("in")) {
      next();
      c.op = CompareOp::kIn;
      if (peek().kind != Tok::kLParen) return fail("\"(\" ...");
      next();
      for (;;) {
        std::string v;
        if (!literal(v)) return false;
        c.values.push_back(std::move(v));
        if (peek().kind == Tok::kComma) {
          next();
          continue;
        }
        break;
      }
      if (peek().kind != Tok::kRParen) return fail("\")\" ...\n    \",\" ...");
      next();
      return true;
    }
    if (at_keyword("like")) {
      next();
      c.op = CompareOp::kLike;
    } else if (peek().kind == Tok::kOp) {
      const std::string& op = peek().text;
      if (op == "=") c.op = CompareOp::kEq;
      else if (op == "<") c.op = CompareOp::kLt;
      else if (op == "<=") c.op = CompareOp::kLe;
      else if (op == ">") c.op = CompareOp::kGt;
      else if (op == ">=") c.op = CompareOp::kGe;
      else return fail("\"=\" ...\n    \"<\" ...\n    \"<=\" ...\n    \">\" ...\n    \">=\" ...");
      next();
    } else {
      return fail("\"=\" ...\n    \"in\" ...\n    \"like\" ...");
    }
    std::string v;
    if (!literal(v)) return false;
    c.values.push_back(std::move(v));
    return true;
  }

  bool literal(std::string& v) {
    if (peek().kind == Tok::kString || (peek().kind == Tok::kWord && !at_keyword("and") &&
                                        !at_keyword("or") && !at_keyword("orderby"))) {
      v = next().text;
      return true;
    }
    return fail("<STRING> ...\n    <INTEGER> ...");
  }

  bool order_terms(Query& q) {
    for (;;) {
      if (peek().kind != Tok::kWord) return fail("<IDENTIFIER> ...");
      OrderTerm t;
      t.field = next().text;
      if (at_keyword("desc")) {
        next();
        t.descending = true;
      } else if (at_keyword("asc")) {
        next();
      }
      q.order_by.push_back(std::move(t));
      if (peek().kind == Tok::kComma) {
        next();
        continue;
      }
      return true;
    }
  }

  bool integer(int64_t& n) {
    const Token& t = peek();
    if (t.kind != Tok::kWord) return fail("<INTEGER> ...");
    const char* b = t.text.data();
    const char* e = b + t.text.size();
    auto [p, ec] = std::from_chars(b, e, n);
    if (ec != std::errc() || p != e || n < 0) return fail("<INTEGER> ...");
    next();
    return true;
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

ParseOutcome parse_query(std::string_view text) {
  std::vector<Token> tokens;
  std::string error;
  if (!tokenize(text, tokens, error)) {
    ParseOutcome out;
    out.error = std::move(error);
    return out;
  }
  return Parser(std::move(tokens)).run();
}

}  // namespace arsync::emulators::quickbooks
