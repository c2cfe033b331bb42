// The query language parser alone: what it accepts, what it refuses, and
// that a refusal names the token and column as Intuit's QueryParserError does.
#include "query_parser.h"

#include <gtest/gtest.h>

namespace {

using namespace arsync::emulators::quickbooks;

Query ok(std::string_view text) {
  ParseOutcome out = parse_query(text);
  EXPECT_TRUE(out.query.has_value()) << text << ": " << out.error;
  return out.query.value_or(Query{});
}

std::string error_of(std::string_view text) {
  ParseOutcome out = parse_query(text);
  EXPECT_FALSE(out.query.has_value()) << text;
  return out.error;
}

TEST(QboQueryParser, SelectStarWithEveryClause) {
  const Query q = ok(
      "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '2026-11-01T10:00:00-07:00' AND "
      "Id > '5' ORDERBY MetaData.LastUpdatedTime ASC, Id DESC STARTPOSITION 101 MAXRESULTS 1000");
  EXPECT_FALSE(q.count);
  EXPECT_EQ(q.entity, "Invoice");
  ASSERT_EQ(q.where.size(), 2u);
  EXPECT_EQ(q.where[0].field, "MetaData.LastUpdatedTime");
  EXPECT_EQ(q.where[0].op, CompareOp::kGe);
  EXPECT_EQ(q.where[0].values[0], "2026-11-01T10:00:00-07:00");
  EXPECT_EQ(q.where[1].op, CompareOp::kGt);
  ASSERT_EQ(q.order_by.size(), 2u);
  EXPECT_FALSE(q.order_by[0].descending);
  EXPECT_TRUE(q.order_by[1].descending);
  EXPECT_EQ(q.start_position, 101);
  EXPECT_EQ(q.max_results, 1000);
}

TEST(QboQueryParser, KeywordsInAnyCaseAndOrderBySpelledTwoWays) {
  const Query a = ok("select count(*) from creditMemo order by Id");
  EXPECT_TRUE(a.count);
  EXPECT_EQ(a.entity, "creditMemo");
  EXPECT_EQ(a.order_by.size(), 1u);
  EXPECT_EQ(ok("sElEcT * fRoM invoice OrderBy Id").order_by.size(), 1u);
}

TEST(QboQueryParser, InLikeAndEscapedQuote) {
  const Query q = ok("select * from Customer where Id in ('1', '2','3') and DisplayName like '%O\\'Brien%'");
  ASSERT_EQ(q.where.size(), 2u);
  EXPECT_EQ(q.where[0].op, CompareOp::kIn);
  EXPECT_EQ(q.where[0].values, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(q.where[1].op, CompareOp::kLike);
  EXPECT_EQ(q.where[1].values[0], "%O'Brien%");
}

TEST(QboQueryParser, PlusIsASpaceOutsideLiteralsAndKeptInside) {
  const Query q = ok("select+*+from+Invoice+where+MetaData.LastUpdatedTime+>+'2026-11-01T10:00:00+01:00'");
  EXPECT_EQ(q.where[0].values[0], "2026-11-01T10:00:00+01:00");
}

TEST(QboQueryParser, UnquotedBooleansAndNumbers) {
  const Query q = ok("select * from Customer where Active = true and Balance > 100.5");
  EXPECT_EQ(q.where[0].values[0], "true");
  EXPECT_EQ(q.where[1].values[0], "100.5");
}

TEST(QboQueryParser, OrIsRefusedNamingTheToken) {
  const std::string e = error_of("select * from Invoice where Id = '1' or Id = '2'");
  EXPECT_NE(e.find("QueryParserError: Encountered \" or \" at line 1, column 38"), std::string::npos) << e;
}

TEST(QboQueryParser, MalformedStatementsAreRefused) {
  EXPECT_EQ(error_of(""), "QueryParserError: The query provided was empty");
  EXPECT_NE(error_of("select Id from Invoice").find("column 8"), std::string::npos);
  EXPECT_NE(error_of("select * from").find("<EOF>"), std::string::npos);
  EXPECT_NE(error_of("select * from Invoice where Id = 'unterminated").find("Lexical error"), std::string::npos);
  EXPECT_NE(error_of("select * from Invoice where Id != '1'").find("Encountered"), std::string::npos);
  EXPECT_NE(error_of("select * from Invoice maxresults -1").find("Encountered"), std::string::npos);
  EXPECT_NE(error_of("select * from Invoice where Id = '1' group by Id").find("group"), std::string::npos);
  EXPECT_NE(error_of("select * from Invoice; drop").find("Lexical error"), std::string::npos);
}

}  // namespace
