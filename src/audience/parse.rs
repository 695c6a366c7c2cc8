//! Query text → [`Rule`]: a hand-written lexer and recursive-descent
//! parser that reports the column of every error and never panics.
//!
//! The grammar is in the [module docs](super#query-language).

use chrono::NaiveDate;

use crate::error::{Error, QueryPosition, Result};
use crate::money::{DecimalProblem, Money};
use crate::rfm::{RfmScore, Score};
use crate::segment::Segment;

use super::format::{ident_continue, ident_start, is_keyword};
use super::rule::{
    Condition, DateValue, Field, FieldType, Period, PeriodUnit, Rule, Test, TestKind, Value,
    ValueType,
};
use super::schema::{AttributeCheck, Schema, suggest_field};

/// How deeply parentheses, `not` and `all(..)`/`any(..)` may nest in query
/// text: the one rule-depth limit,
/// [`MAX_RULE_DEPTH`](super::MAX_RULE_DEPTH).
#[deprecated(note = "use audience::MAX_RULE_DEPTH, the one limit of every front end")]
pub const MAX_DEPTH: usize = super::rule::MAX_RULE_DEPTH;

/// The parser's recursion guard: the same limit.
const TEXT_DEPTH: usize = super::rule::MAX_RULE_DEPTH;

impl Rule {
    /// Parses a query such as
    /// `segment in (at_risk, cant_lose_them) and monetary >= 300.00`.
    ///
    /// Amounts are read with the schema's scale; segment names and custom
    /// attributes are checked against the schema when it lists them (an
    /// open [`Schema::default`] accepts any). Keywords and field names are
    /// case-insensitive (`AND`, `Monetary`); texts and segment names are
    /// not. The grammar and the fields are in the
    /// [module docs](super#query-language).
    ///
    /// # Errors
    ///
    /// Every error has the position of the problem:
    ///
    /// - [`Error::QueryParse`]: the text does not follow the grammar, or a
    ///   value does not suit its field (`expected a number after '>=', found 'abc'`);
    ///   also for parentheses, `not`s and `all(..)`/`any(..)` nested
    ///   deeper than [`MAX_RULE_DEPTH`](super::MAX_RULE_DEPTH);
    /// - [`Error::RuleTooDeep`]: the rule read is deeper than
    ///   [`MAX_RULE_DEPTH`](super::MAX_RULE_DEPTH) (an `or` of `and`s
    ///   nests without parentheses);
    /// - [`Error::UnknownField`]: no such field or attribute, with the
    ///   closest name;
    /// - [`Error::UnknownSegment`]: no such segment, with the closest name.
    ///
    /// # Example
    ///
    /// ```
    /// use rfmkit::audience::{Rule, Schema};
    /// use rfmkit::segment::SegmentTable;
    ///
    /// let schema = Schema::builder().segments(&SegmentTable::standard()).build()?;
    /// let rule = Rule::parse("segment = champions and last_order >= -30d", &schema)?;
    /// assert_eq!(rule.display_query(2).to_string(), "segment = champions and last_order >= -30d");
    ///
    /// let err = Rule::parse("segment in (at_risk) and monetary >= abc", &schema).unwrap_err();
    /// assert_eq!(err.to_string(), "column 38: expected a number after '>=', found 'abc'");
    /// let err = Rule::parse("monetory > 5", &schema).unwrap_err();
    /// assert_eq!(err.to_string(), "column 1: unknown field 'monetory'; did you mean 'monetary'?");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(query: &str, schema: &Schema) -> Result<Rule> {
        let tokens = Lexer::new(query).run()?;
        let mut parser = Parser {
            query,
            tokens,
            pos: 0,
            schema,
            depth: 0,
        };
        let rule = parser.parse_or()?;
        let next = parser.peek();
        if next.tok != Tok::Eof {
            let expected = if next.tok == Tok::RParen {
                "'and', 'or' or end of query (this ')' has no '(')"
            } else {
                "'and', 'or' or end of query"
            };
            return Err(parser.error(&next.clone(), expected));
        }
        rule.check_depth()?;
        Ok(rule)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn text(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    fn test(self, value: Value) -> Test {
        match self {
            CmpOp::Eq => Test::Eq(value),
            CmpOp::Ne => Test::Ne(value),
            CmpOp::Lt => Test::Lt(value),
            CmpOp::Le => Test::Le(value),
            CmpOp::Gt => Test::Gt(value),
            CmpOp::Ge => Test::Ge(value),
        }
    }

    fn kind(self) -> TestKind {
        match self {
            CmpOp::Eq | CmpOp::Ne => TestKind::Equality,
            _ => TestKind::Order,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    /// A decimal number; the digits are ASCII.
    Number {
        negative: bool,
        int: String,
        frac: Option<String>,
    },
    /// `90d` (no sign), `-90d`, `+7d`.
    Period {
        sign: Option<bool>,
        period: Period,
    },
    Date(NaiveDate),
    Cell(RfmScore),
    LParen,
    RParen,
    Comma,
    Dot,
    Op(CmpOp),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

/// The text of a token or of the word at a position, quoted, for messages.
fn quoted(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() > MAX {
        let head: String = text.chars().take(MAX).collect();
        format!("'{head}...'")
    } else {
        format!("'{text}'")
    }
}

struct Lexer<'a> {
    text: &'a str,
    at: usize,
    tokens: Vec<Token>,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Lexer<'a> {
        Lexer {
            text,
            at: 0,
            tokens: Vec::new(),
        }
    }

    fn char_at(&self, at: usize) -> Option<char> {
        self.text.get(at..).and_then(|rest| rest.chars().next())
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    /// The error at byte `start`: expected `expected`, found the word there.
    fn error(&self, start: usize, expected: impl Into<String>) -> Error {
        let rest = self.text.get(start..).unwrap_or("");
        let word: String = match rest.chars().next() {
            None => String::new(),
            Some(c) if c.is_whitespace() || "(),=<>!\"'".contains(c) => c.to_string(),
            Some(_) => rest
                .chars()
                .take_while(|&c| !c.is_whitespace() && !"(),=<>!\"'".contains(c))
                .collect(),
        };
        let found = if word.is_empty() {
            "end of query".to_owned()
        } else {
            quoted(&word)
        };
        Error::QueryParse {
            position: QueryPosition::in_query(self.text, start),
            expected: expected.into(),
            found,
        }
    }

    fn push(&mut self, tok: Tok, start: usize) {
        self.tokens.push(Token {
            tok,
            start,
            end: self.at,
        });
    }

    fn run(mut self) -> Result<Vec<Token>> {
        loop {
            while let Some(c) = self.char_at(self.at).filter(|c| c.is_whitespace()) {
                self.at += c.len_utf8();
            }
            let start = self.at;
            let Some(c) = self.char_at(start) else {
                self.push(Tok::Eof, start);
                return Ok(self.tokens);
            };
            let next = self.char_at(start + c.len_utf8());
            match c {
                '(' | ')' | ',' | '.' => {
                    self.at += 1;
                    let tok = match c {
                        '(' => Tok::LParen,
                        ')' => Tok::RParen,
                        ',' => Tok::Comma,
                        _ => Tok::Dot,
                    };
                    self.push(tok, start);
                }
                '=' | '!' | '<' | '>' => {
                    let (op, len) = match (c, next) {
                        ('=', Some('=')) => (CmpOp::Eq, 2),
                        ('=', _) => (CmpOp::Eq, 1),
                        ('!', Some('=')) | ('<', Some('>')) => (CmpOp::Ne, 2),
                        ('<', Some('=')) => (CmpOp::Le, 2),
                        ('<', _) => (CmpOp::Lt, 1),
                        ('>', Some('=')) => (CmpOp::Ge, 2),
                        ('>', _) => (CmpOp::Gt, 1),
                        _ => return Err(self.error(start, "'!=' (a lone '!' is not an operator)")),
                    };
                    self.at += len;
                    self.push(Tok::Op(op), start);
                }
                '"' | '\'' => self.string(c)?,
                '+' | '-' => self.number()?,
                c if c.is_ascii_digit() => self.number()?,
                c if ident_start(c) => {
                    while let Some(c) = self.char_at(self.at).filter(|&c| ident_continue(c)) {
                        self.at += c.len_utf8();
                    }
                    let word = self.slice(start, self.at).to_owned();
                    self.push(Tok::Ident(word), start);
                }
                _ => {
                    return Err(self.error(start, "a field, a value, an operator or a parenthesis"));
                }
            }
        }
    }

    fn string(&mut self, quote: char) -> Result<()> {
        let start = self.at;
        self.at += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.char_at(self.at) else {
                return Err(Error::QueryParse {
                    position: QueryPosition::in_query(self.text, start),
                    expected: format!("a closing {quote} to end this text"),
                    found: "end of query".into(),
                });
            };
            self.at += c.len_utf8();
            if c == quote {
                break;
            }
            if c == '\\' {
                match self.char_at(self.at) {
                    Some(e @ ('\\' | '"' | '\'')) => {
                        self.at += 1;
                        text.push(e);
                    }
                    _ => {
                        return Err(self.error(
                            self.at - 1,
                            "\\\\, \\\" or \\' (the escapes a quoted text allows)",
                        ));
                    }
                }
            } else {
                text.push(c);
            }
        }
        self.push(Tok::Str(text), start);
        Ok(())
    }

    fn digits(&mut self) -> &'a str {
        let start = self.at;
        while self.char_at(self.at).is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        self.slice(start, self.at)
    }

    fn number(&mut self) -> Result<()> {
        let start = self.at;
        let sign = match self.char_at(start) {
            Some('-') => Some(true),
            Some('+') => Some(false),
            _ => None,
        };
        if sign.is_some() {
            self.at += 1;
            if !self.char_at(self.at).is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.error(
                    start,
                    "a number (-5) or a relative date (-90d) after the sign",
                ));
            }
        }
        let int = self.digits().to_owned();
        let digit_after =
            |lexer: &Self, at: usize| lexer.char_at(at).is_some_and(|c| c.is_ascii_digit());
        // `2025-12-31` or `5-4-3`.
        if sign.is_none() && self.char_at(self.at) == Some('-') && digit_after(self, self.at + 1) {
            let mut parts = vec![int];
            while self.char_at(self.at) == Some('-') && digit_after(self, self.at + 1) {
                self.at += 1;
                parts.push(self.digits().to_owned());
            }
            self.end_of_word(start, "a date (2025-12-31) or an RFM cell (5-4-3)")?;
            let tok = self.dashed(start, &parts)?;
            self.push(tok, start);
            return Ok(());
        }
        let mut frac = None;
        if self.char_at(self.at) == Some('.') && digit_after(self, self.at + 1) {
            self.at += 1;
            frac = Some(self.digits().to_owned());
        }
        if frac.is_none() {
            if let Some(unit) = self.char_at(self.at).and_then(PeriodUnit::from_letter) {
                if !self.char_at(self.at + 1).is_some_and(ident_continue) {
                    self.at += 1;
                    let count = int
                        .parse::<u32>()
                        .map_err(|_| self.error(start, "a period count of at most 4294967295"))?;
                    self.push(
                        Tok::Period {
                            sign,
                            period: Period::new(count, unit),
                        },
                        start,
                    );
                    return Ok(());
                }
            }
        }
        self.end_of_word(
            start,
            "a number (300.00), a date (2025-12-31) or a period (90d)",
        )?;
        self.push(
            Tok::Number {
                negative: sign == Some(true),
                int,
                frac,
            },
            start,
        );
        Ok(())
    }

    /// Fails if the number just read runs on into letters or dots.
    fn end_of_word(&self, start: usize, expected: &str) -> Result<()> {
        match self.char_at(self.at) {
            Some(c) if ident_continue(c) || c == '.' || c == '-' => {
                Err(self.error(start, expected))
            }
            _ => Ok(()),
        }
    }

    fn dashed(&self, start: usize, parts: &[String]) -> Result<Tok> {
        let lens: Vec<usize> = parts.iter().map(String::len).collect();
        match (parts, lens.as_slice()) {
            ([y, m, d], [4, 2, 2]) => {
                let date = match (y.parse(), m.parse(), d.parse()) {
                    (Ok(y), Ok(m), Ok(d)) => NaiveDate::from_ymd_opt(y, m, d),
                    _ => None,
                };
                date.map(Tok::Date)
                    .ok_or_else(|| self.error(start, "a real calendar date (YYYY-MM-DD)"))
            }
            ([r, f, m], [1..=3, 1..=3, 1..=3]) => {
                let score = |s: &String| s.parse::<u8>().ok().and_then(|v| Score::new(v).ok());
                match (score(r), score(f), score(m)) {
                    (Some(r), Some(f), Some(m)) => Ok(Tok::Cell(RfmScore::new(r, f, m))),
                    _ => Err(self.error(start, "an RFM cell with scores 1..=100, such as 5-4-3")),
                }
            }
            _ => Err(self.error(start, "a date (2025-12-31) or an RFM cell (5-4-3)")),
        }
    }
}

struct Parser<'a> {
    query: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    schema: &'a Schema,
    depth: usize,
}

const EOF: Token = Token {
    tok: Tok::Eof,
    start: 0,
    end: 0,
};

impl Parser<'_> {
    fn peek(&self) -> &Token {
        self.tokens
            .get(self.pos)
            .or(self.tokens.last())
            .unwrap_or(&EOF)
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(w) if w.eq_ignore_ascii_case(keyword))
    }

    fn position(&self, token: &Token) -> QueryPosition {
        QueryPosition::in_query(self.query, token.start)
    }

    fn source(&self, token: &Token) -> &str {
        self.query.get(token.start..token.end).unwrap_or("")
    }

    fn found(&self, token: &Token) -> String {
        if token.tok == Tok::Eof {
            "end of query".to_owned()
        } else {
            quoted(self.source(token))
        }
    }

    fn error(&self, token: &Token, expected: impl Into<String>) -> Error {
        Error::QueryParse {
            position: self.position(token),
            expected: expected.into(),
            found: self.found(token),
        }
    }

    fn enter(&mut self, token: &Token) -> Result<()> {
        self.depth += 1;
        if self.depth > TEXT_DEPTH {
            return Err(self.error(
                token,
                format!("at most {TEXT_DEPTH} nested parentheses, 'not's and all()/any()"),
            ));
        }
        Ok(())
    }

    fn parse_or(&mut self) -> Result<Rule> {
        let mut rules = vec![self.parse_and()?];
        while self.peek_keyword("or") {
            self.advance();
            rules.push(self.parse_and()?);
        }
        Ok(match rules.pop() {
            Some(only) if rules.is_empty() => only,
            Some(last) => {
                rules.push(last);
                Rule::Any(rules)
            }
            None => Rule::Any(rules),
        })
    }

    fn parse_and(&mut self) -> Result<Rule> {
        let mut rules = vec![self.parse_unary()?];
        while self.peek_keyword("and") {
            self.advance();
            rules.push(self.parse_unary()?);
        }
        Ok(match rules.pop() {
            Some(only) if rules.is_empty() => only,
            Some(last) => {
                rules.push(last);
                Rule::All(rules)
            }
            None => Rule::All(rules),
        })
    }

    fn parse_unary(&mut self) -> Result<Rule> {
        if self.peek_keyword("not") {
            let token = self.advance();
            self.enter(&token)?;
            let inner = self.parse_unary()?;
            self.depth -= 1;
            return Ok(Rule::Not(Box::new(inner)));
        }
        self.parse_primary()
    }

    fn parse_primary(&mut self) -> Result<Rule> {
        let token = self.peek().clone();
        match &token.tok {
            Tok::LParen => {
                self.advance();
                self.enter(&token)?;
                let rule = self.parse_or()?;
                self.expect_close(&token, "'and', 'or' or ')'")?;
                self.depth -= 1;
                Ok(rule)
            }
            Tok::Ident(word)
                if (word.eq_ignore_ascii_case("all") || word.eq_ignore_ascii_case("any"))
                    && self
                        .tokens
                        .get(self.pos + 1)
                        .is_some_and(|t| t.tok == Tok::LParen) =>
            {
                let all = word.eq_ignore_ascii_case("all");
                self.advance();
                let open = self.advance();
                self.enter(&token)?;
                let mut rules = Vec::new();
                if self.peek().tok == Tok::RParen {
                    self.advance();
                } else {
                    loop {
                        rules.push(self.parse_or()?);
                        if self.peek().tok == Tok::Comma {
                            self.advance();
                            continue;
                        }
                        self.expect_close(&open, "',', 'and', 'or' or ')'")?;
                        break;
                    }
                }
                self.depth -= 1;
                Ok(if all {
                    Rule::All(rules)
                } else {
                    Rule::Any(rules)
                })
            }
            Tok::Ident(word) if !is_keyword(word) => self.parse_condition(),
            _ => Err(self.error(&token, "a field name, 'not' or '('")),
        }
    }

    fn expect_close(&mut self, open: &Token, expected: &str) -> Result<()> {
        let next = self.peek().clone();
        if next.tok == Tok::RParen {
            self.advance();
            return Ok(());
        }
        let expected = if next.tok == Tok::Eof {
            format!(
                "')' to close the '(' at column {}",
                self.position(open).column
            )
        } else {
            expected.to_owned()
        };
        Err(self.error(&next, expected))
    }

    fn parse_field(&mut self) -> Result<(Field, Token)> {
        let token = self.advance();
        let Tok::Ident(word) = &token.tok else {
            return Err(self.error(&token, "a field name"));
        };
        if word.eq_ignore_ascii_case("attr") && self.peek().tok == Tok::Dot {
            self.advance();
            let name_token = self.advance();
            let name = match &name_token.tok {
                Tok::Ident(name) | Tok::Str(name) => name.clone(),
                _ => {
                    return Err(self.error(
                        &name_token,
                        "an attribute name after 'attr.' (quote names that are not plain words)",
                    ));
                }
            };
            let span = Token {
                tok: Tok::Eof,
                start: token.start,
                end: name_token.end,
            };
            return Ok((Field::Attribute(name), span));
        }
        let lower = word.to_ascii_lowercase();
        match Field::from_name(&lower) {
            Some(field) => Ok((field, token)),
            None => Err(Error::UnknownField {
                position: Some(self.position(&token)),
                suggestion: suggest_field(&lower, Some(self.schema)),
                name: word.clone(),
            }),
        }
    }

    fn parse_condition(&mut self) -> Result<Rule> {
        let (field, field_token) = self.parse_field()?;
        let field_type = field.field_type();
        let name = field.name();
        let op_token = self.peek().clone();
        let check_kind = |parser: &Self, kind: TestKind, ty: Option<ValueType>| -> Result<()> {
            match ty {
                Some(ty) if !ty.allows(kind) => Err(parser.error(
                    &op_token,
                    format!(
                        "{} after '{name}' (a field of {})",
                        ty.operators(),
                        ty.plural()
                    ),
                )),
                _ => Ok(()),
            }
        };
        let builtin = match field_type {
            FieldType::Value(ty) => Some(ty),
            FieldType::Attribute => None,
        };
        let mut ty = builtin;
        let test = match &op_token.tok {
            Tok::Op(op) => {
                self.advance();
                check_kind(self, op.kind(), builtin)?;
                let after = format!("after '{}'", op.text());
                let value = self.parse_value(&mut ty, &after)?;
                op.test(value)
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("between") => {
                self.advance();
                check_kind(self, TestKind::Order, builtin)?;
                let low = self.parse_value(&mut ty, "after 'between'")?;
                if !self.peek_keyword("and") {
                    let next = self.peek().clone();
                    return Err(self.error(&next, "'and' between the two bounds of 'between'"));
                }
                self.advance();
                let high = self.parse_value(&mut ty, "after 'between ... and'")?;
                Test::Between(low, high)
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("in") || w.eq_ignore_ascii_case("not") => {
                let negated = w.eq_ignore_ascii_case("not");
                self.advance();
                if negated {
                    if !self.peek_keyword("in") {
                        let next = self.peek().clone();
                        return Err(self.error(
                            &next,
                            format!("'in' after '{name} not' (write 'not {name} ...' to negate other tests)"),
                        ));
                    }
                    self.advance();
                }
                check_kind(self, TestKind::Membership, builtin)?;
                let values = self.parse_list(&mut ty)?;
                if negated {
                    Test::NotIn(values)
                } else {
                    Test::In(values)
                }
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("contains") => {
                self.advance();
                check_kind(self, TestKind::Contains, builtin)?;
                let mut value_ty = match ty {
                    Some(ValueType::Tags) => Some(ValueType::Text),
                    other => other,
                };
                let value = self.parse_value(&mut value_ty, "after 'contains'")?;
                if ty.is_none() {
                    ty = value_ty;
                }
                Test::Contains(value)
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("is") => {
                self.advance();
                let negated = self.peek_keyword("not");
                if negated {
                    self.advance();
                }
                if !self.peek_keyword("null") {
                    let next = self.peek().clone();
                    let expected = if negated {
                        "'null' after 'is not'"
                    } else {
                        "'null' or 'not null' after 'is'"
                    };
                    return Err(self.error(&next, expected));
                }
                self.advance();
                if negated {
                    Test::IsNotNull
                } else {
                    Test::IsNull
                }
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("within") => {
                self.advance();
                check_kind(self, TestKind::Within, builtin.or(Some(ValueType::Date)))?;
                let token = self.advance();
                match token.tok {
                    Tok::Period { sign: None, period } => Test::Within(period),
                    _ => {
                        return Err(
                            self.error(&token, "a period such as 7d, 2w, 1m or 1y after 'within'")
                        );
                    }
                }
            }
            _ => {
                if matches!(builtin, Some(ValueType::Bool) | None) {
                    ty = Some(ValueType::Bool);
                    Test::Eq(Value::Bool(true))
                } else {
                    let ops = builtin.map_or("an operator", ValueType::operators);
                    return Err(self.error(&op_token, format!("{ops} after '{name}'")));
                }
            }
        };
        if let Field::Attribute(attribute) = &field {
            let kind = test.kind();
            if let Some(ty) = ty {
                if !ty.allows(kind) {
                    return Err(self.error(
                        &op_token,
                        format!(
                            "{} after '{name}' (it holds {})",
                            ty.operators(),
                            ty.plural()
                        ),
                    ));
                }
            }
            match self.schema.check_attribute(attribute, ty) {
                AttributeCheck::Ok => {}
                AttributeCheck::Unknown => {
                    return Err(Error::UnknownField {
                        position: Some(self.position(&field_token)),
                        suggestion: suggest_field(&name, Some(self.schema)),
                        name: name.into_owned(),
                    });
                }
                AttributeCheck::WrongType(types) => {
                    return Err(self.error(
                        &op_token,
                        format!("a test of {types} after '{name}' (the type it holds)"),
                    ));
                }
            }
        }
        let condition = Condition::new(field, test);
        if let Some(reason) = condition.problem() {
            return Err(Error::InvalidRule {
                position: Some(self.position(&field_token)),
                field: name.into_owned(),
                reason,
            });
        }
        Ok(Rule::Condition(condition))
    }

    fn parse_list(&mut self, ty: &mut Option<ValueType>) -> Result<Vec<Value>> {
        let open = self.advance();
        if open.tok != Tok::LParen {
            return Err(self.error(&open, "'(' to start the list of values"));
        }
        let mut values = Vec::new();
        if self.peek().tok == Tok::RParen {
            self.advance();
            return Ok(values);
        }
        loop {
            values.push(self.parse_value(ty, "in the list")?);
            let next = self.advance();
            match next.tok {
                Tok::Comma => {}
                Tok::RParen => return Ok(values),
                Tok::Eof => {
                    return Err(self.error(
                        &next,
                        format!(
                            "')' to close the list at column {}",
                            self.position(&open).column
                        ),
                    ));
                }
                _ => return Err(self.error(&next, "',' or ')' in the list of values")),
            }
        }
    }

    /// Parses one value of type `ty`; for a custom attribute (`None`), the
    /// first value decides the type and later ones must agree.
    fn parse_value(&mut self, ty: &mut Option<ValueType>, after: &str) -> Result<Value> {
        let token = self.advance();
        let Some(wanted) = *ty else {
            let value = self.infer_value(&token, after)?;
            *ty = Some(value.value_type());
            return Ok(value);
        };
        let fail = |parser: &Self, what: &str| Err(parser.error(&token, format!("{what} {after}")));
        match (wanted, &token.tok) {
            (
                ValueType::Integer,
                Tok::Number {
                    negative,
                    int,
                    frac: None,
                },
            ) => match integer(*negative, int) {
                Some(n) => Ok(Value::Integer(n)),
                None => fail(self, "a whole number within 64 bits"),
            },
            (ValueType::Integer, _) => fail(self, "a whole number"),
            (
                ValueType::Money,
                Tok::Number {
                    negative,
                    int,
                    frac,
                },
            ) => {
                let scale = self.schema.scale();
                match money(*negative, int, frac.as_deref(), scale) {
                    Ok(m) => Ok(Value::Money(m)),
                    Err(DecimalProblem::Decimals) if scale == 0 => {
                        fail(self, "a whole number (the currency has no decimals)")
                    }
                    Err(DecimalProblem::Decimals) => {
                        fail(self, &format!("a number with at most {scale} decimals"))
                    }
                    Err(DecimalProblem::Range) => fail(self, "an amount within 64-bit minor units"),
                }
            }
            (ValueType::Money, _) => fail(self, "a number"),
            (ValueType::Number, Tok::Number { .. }) => match self.number(&token) {
                Some(x) => Ok(Value::Number(x)),
                None => fail(self, "a finite number"),
            },
            (ValueType::Number, _) => fail(self, "a number"),
            (ValueType::Date, _) => match date_value(&token.tok) {
                Some(d) => Ok(Value::Date(d)),
                None if matches!(token.tok, Tok::Period { sign: None, .. }) => fail(
                    self,
                    "a date (2025-12-31) or a relative date with a sign (-90d, +7d)",
                ),
                None => fail(self, "a date (2025-12-31) or a relative date (-90d, +7d)"),
            },
            (ValueType::Text | ValueType::Tags, Tok::Ident(t) | Tok::Str(t)) => {
                Ok(Value::Text(t.clone()))
            }
            (ValueType::Text | ValueType::Tags, Tok::Number { .. }) => {
                Ok(Value::Text(self.source(&token).to_owned()))
            }
            (ValueType::Text | ValueType::Tags, _) => fail(self, "a text (web, or \"two words\")"),
            (ValueType::Bool, Tok::Ident(w)) if w.eq_ignore_ascii_case("true") => {
                Ok(Value::Bool(true))
            }
            (ValueType::Bool, Tok::Ident(w)) if w.eq_ignore_ascii_case("false") => {
                Ok(Value::Bool(false))
            }
            (ValueType::Bool, _) => fail(self, "true or false"),
            (ValueType::Segment, Tok::Ident(name) | Tok::Str(name)) => self.segment(&token, name),
            (ValueType::Segment, _) => fail(self, "a segment name"),
            (ValueType::Cell, Tok::Cell(cell)) => Ok(Value::Cell(*cell)),
            (ValueType::Cell, _) => fail(self, "an RFM cell such as 5-4-3"),
            (ValueType::Annual, _) => fail(self, "a period"),
        }
    }

    /// A custom attribute's value: its token decides its type.
    fn infer_value(&self, token: &Token, after: &str) -> Result<Value> {
        match &token.tok {
            Tok::Number { .. } => self
                .number(token)
                .map(Value::Number)
                .ok_or_else(|| self.error(token, format!("a finite number {after}"))),
            Tok::Ident(w) if w.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Tok::Ident(w) if w.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            Tok::Ident(t) | Tok::Str(t) => Ok(Value::Text(t.clone())),
            tok => date_value(tok).map(Value::Date).ok_or_else(|| {
                self.error(
                    token,
                    format!("a text, a number, true/false or a date {after}"),
                )
            }),
        }
    }

    fn number(&self, token: &Token) -> Option<f64> {
        self.source(token)
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
    }

    fn segment(&self, token: &Token, name: &str) -> Result<Value> {
        let unknown = |suggestion| Error::UnknownSegment {
            position: Some(self.position(token)),
            name: name.to_owned(),
            suggestion,
        };
        let lower = name.to_lowercase();
        let Ok(segment) = Segment::new(name) else {
            let suggestion = if lower != name
                && Segment::new(&lower).is_ok()
                && self.schema.knows_segment(&lower)
            {
                Some(lower)
            } else {
                self.schema.suggest_segment(&lower)
            };
            return Err(unknown(suggestion));
        };
        if !self.schema.knows_segment(name) {
            return Err(unknown(self.schema.suggest_segment(name)));
        }
        Ok(Value::Segment(segment))
    }
}

fn date_value(tok: &Tok) -> Option<DateValue> {
    match tok {
        Tok::Date(d) => Some(DateValue::Exact(*d)),
        Tok::Period {
            sign: Some(true),
            period,
        } => Some(DateValue::Ago(*period)),
        Tok::Period {
            sign: Some(false),
            period,
        } => Some(DateValue::Ahead(*period)),
        _ => None,
    }
}

/// `±digits` as an `i64`, or `None` if out of range.
fn integer(negative: bool, digits: &str) -> Option<i64> {
    let magnitude: i128 = digits.parse::<u64>().ok()?.into();
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// `±int.frac` in minor units of a currency with `scale` decimals: the
/// crate's one decimal conversion, [`Money::from_decimal_parts`].
fn money(
    negative: bool,
    int: &str,
    frac: Option<&str>,
    scale: u32,
) -> Result<Money, DecimalProblem> {
    Money::from_decimal_parts(negative, int, frac, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<Rule> {
        Rule::parse(q, &Schema::default())
    }

    fn err(q: &str) -> String {
        parse(q).unwrap_err().to_string()
    }

    #[test]
    fn money_parsing_is_exact() {
        let m = |neg, i, f, s| money(neg, i, f, s).ok().map(Money::minor_units);
        assert_eq!(m(false, "300", Some("00"), 2), Some(30000));
        assert_eq!(m(false, "300", Some("5"), 2), Some(30050));
        assert_eq!(m(true, "0", Some("05"), 2), Some(-5));
        assert_eq!(m(true, "92233720368547758", Some("08"), 2), Some(i64::MIN));
        assert_eq!(m(false, "92233720368547758", Some("08"), 2), None);
        assert_eq!(m(false, "1", Some("234"), 2), None);
        assert_eq!(m(false, "1", None, 18), Some(1_000_000_000_000_000_000));
        assert_eq!(m(false, "10", None, 18), None);
    }

    #[test]
    fn error_columns() {
        assert_eq!(
            err("monetary >= abc"),
            "column 13: expected a number after '>=', found 'abc'"
        );
        assert_eq!(
            err("(frequency > 1"),
            "column 15: expected ')' to close the '(' at column 1, found end of query"
        );
        assert_eq!(
            err("frequency > 1)"),
            "column 14: expected 'and', 'or' or end of query (this ')' has no '('), found ')'"
        );
        assert_eq!(
            err(""),
            "column 1: expected a field name, 'not' or '(', found end of query"
        );
        assert_eq!(
            err("tags contains \"vip"),
            "column 15: expected a closing \" to end this text, found end of query"
        );
        assert_eq!(
            err("last_order < 90d"),
            "column 14: expected a date (2025-12-31) or a relative date with a sign (-90d, +7d) after '<', found '90d'"
        );
        assert_eq!(
            err("monetary >= 1.234"),
            "column 13: expected a number with at most 2 decimals after '>=', found '1.234'"
        );
        assert_eq!(
            err("segment >= at_risk"),
            "column 9: expected =, !=, in, not in, is null after 'segment' (a field of segment names), found '>='"
        );
        assert_eq!(
            err("frequency"),
            "column 10: expected =, !=, <, <=, >, >=, between, in, not in, is null after 'frequency', found end of query"
        );
        assert_eq!(
            err("r >= 4 #"),
            "column 8: expected a field, a value, an operator or a parenthesis, found '#'"
        );
        assert_eq!(err("é = 1"), "column 1: unknown field 'é'");
        assert_eq!(
            err("tags contains x and é ! 1"),
            "column 23: expected '!=' (a lone '!' is not an operator), found '!'"
        );
    }

    #[test]
    fn depth_is_limited() {
        let deep = format!("{}r = 1{}", "(".repeat(TEXT_DEPTH), ")".repeat(TEXT_DEPTH));
        assert!(parse(&deep).is_ok());
        let deeper = format!(
            "{}r = 1{}",
            "(".repeat(TEXT_DEPTH + 1),
            ")".repeat(TEXT_DEPTH + 1)
        );
        assert!(matches!(parse(&deeper), Err(Error::QueryParse { .. })));
        let nots = format!("{}email_opt_in", "not ".repeat(100_000));
        assert!(matches!(parse(&nots), Err(Error::QueryParse { .. })));
    }

    #[test]
    fn keywords_and_fields_ignore_case() {
        assert_eq!(
            parse("R >= 4 AND Email_Opt_In").unwrap(),
            parse("r >= 4 and email_opt_in").unwrap()
        );
    }
}
