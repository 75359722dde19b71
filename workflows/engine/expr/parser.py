"""Parser of the expression subset into a small immutable tree (never Python's own parser).

Grammar, loosest binding first (the precedence of expr-lang)::

    ternary  := or ("?" ternary ":" ternary)?
    or       := and (("||" | "or") and)*
    and      := cmp (("&&" | "and") cmp)*
    cmp      := add (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") add)*
                (and, read as govaluate for a ``when``: "=~" | "!~", comparators too)
    add      := mul (("+" | "-") mul)*
    mul      := coalesce (("*" | "/" | "%") coalesce)*
    coalesce := unary ("??" unary)*
    unary    := ("!" | "not") mul | ("-" | "+") coalesce | postfix
    postfix  := primary ("." NAME | "[" ternary "]" | "(" args ")")*
    primary  := NUMBER | STRING | true | false | nil | NAME | "(" ternary ")" | "[" items "]"
              | "{" (KEY ":" ternary ",")* "}"      (KEY: a name, string or number)
              | "#" | "#index" | "." NAME          (only inside a predicate)
    closure  := CLOSURE "(" ternary "," predicate ","? ")"    (count: the predicate optional)
    predicate:= "{" ternary "}" | ternary

``??`` binds tighter than any other binary operator (500 in expr-lang) and inside a
unary operator's operand, as expr-lang's ``parsePrimary`` reads ``!`` and ``-`` with
precedence 50 and 90 (``-a ?? b`` is ``-(a ?? b)``, ``!a * b`` is ``!(a * b)``). Like
expr-lang's ``parseExpression``, a binary operator that follows ``a ?? b`` in the loop
that read the ``??`` (``a ?? b + c``, but not ``x * a ?? b + c``) is refused: "cannot
be mixed".

A call is only allowed on a known function name (``asInt``, ``sprig.trunc``, ...), with
its arity checked here, so a bad call fails before any evaluation. The builtins taking
a predicate (``CLOSURES``: filter, map, all, any, none, one, count) parse as expr-lang's
``parseCall`` does: inside the predicate ``#`` is the element, ``.name`` is ``#.name``,
and ``#index`` (only directly inside ``map``, as expr-lang's checker allows it) the
element's index; a ``#`` outside a predicate, another ``#name``, computed map keys
``{(k): v}`` and sequences (``;``) are refused. Operator chains of one
level are kept flat (``Chain``), so a long ``a + b + c ...`` costs no recursion; nesting
(parentheses, unary operators, ternaries, arguments) is bounded by ``MAX_DEPTH``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Union

from workflows.engine.expr.errors import UnsupportedExpression
from workflows.engine.expr.functions import FUNCTIONS
from workflows.engine.expr.lexer import Token, tokenize

MAX_DEPTH = 32
KEYWORDS = frozenset({"true", "false", "nil", "and", "or", "not", "in"})
_LITERALS = {"true": True, "false": False, "nil": None}
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


@dataclass(frozen=True, slots=True)
class Name:
    name: str


@dataclass(frozen=True, slots=True)
class Access:
    base: Node
    steps: tuple[str | Node, ...]  # a str is ".member", a node is "[index]"


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "!", "-" or "+"
    operand: Node


@dataclass(frozen=True, slots=True)
class Chain:
    first: Node
    rest: tuple[tuple[str, Node], ...]  # ops of one precedence level, applied left to right


@dataclass(frozen=True, slots=True)
class Ternary:
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Array:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Pointer:
    name: str  # "" for the element (#), "index" for #index


@dataclass(frozen=True, slots=True)
class MapLiteral:
    pairs: tuple[tuple[str, Node], ...]  # keys as expr-lang makes them: strings


@dataclass(frozen=True, slots=True)
class Closure:
    function: str  # one of CLOSURES
    collection: Node
    predicate: Node | None  # None only for count(array)


Node = Union[  # noqa: UP007
    Literal, Name, Access, Call, Unary, Chain, Ternary, Array, MapLiteral, Pointer, Closure
]
CLOSURES = frozenset({"filter", "map", "all", "any", "none", "one", "count"})
# expr-lang's lexer makes these words operators, so "# in xs" is the element, not "#in"
_WORD_OPERATORS = frozenset({"in", "or", "and", "not", "matches", "contains", "startsWith",
                             "endsWith", "let"})


def children(node: Node) -> Iterator[Node]:
    """The nodes directly inside ``node`` (for checks that walk a tree)."""
    found: list[Any] = []
    if isinstance(node, Access):
        found = [node.base, *node.steps]
    elif isinstance(node, Call):
        found = list(node.args)
    elif isinstance(node, Closure):
        found = [node.collection, node.predicate]
    elif isinstance(node, Unary):
        found = [node.operand]
    elif isinstance(node, Chain):
        found = [node.first, *(operand for _, operand in node.rest)]
    elif isinstance(node, Ternary):
        found = [node.condition, node.then, node.otherwise]
    elif isinstance(node, Array):
        found = list(node.items)
    elif isinstance(node, MapLiteral):
        found = [value for _, value in node.pairs]
    for child in found:
        if child is not None and not isinstance(child, str):
            yield child


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every node inside it."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(children(current))


@lru_cache(maxsize=1024)
def parse(expr: str, *, govaluate: bool = False) -> Node:
    """The tree of ``expr``; UnsupportedExpression names what is outside the subset.
    ``govaluate``: a ``when`` (the lexer's govaluate mode; ``=~``/``!~`` at the level of
    ``==``, as govaluate's ``comparatorPrecedence`` has them)."""
    parser = _Parser(expr, tokenize(expr, govaluate=govaluate))
    node = parser.ternary()
    parser.expect_end()
    return node


class _Parser:
    def __init__(self, expr: str, tokens: list[Token]) -> None:
        self.expr = expr
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.closures: list[str] = []  # the builtins whose predicate is being parsed

    def fail(self, construct: str) -> UnsupportedExpression:
        return UnsupportedExpression(self.expr, construct)

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.token
        return token.kind in ("op", "name") and token.text in texts

    def expect(self, text: str) -> None:
        if not (self.token.kind == "op" and self.token.text == text):
            raise self.fail(f"expected '{text}', found {self.describe()}")
        self.index += 1

    def expect_end(self) -> None:
        if self.token.kind != "end":
            raise self.fail(f"unexpected {self.describe()}")

    def describe(self) -> str:
        token = self.token
        if token.kind == "end":
            return "end of expression"
        return f"'{token.text}' at offset {token.pos}"

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH} levels")

    def ternary(self) -> Node:
        self.nested()
        condition = self.chain(0, 0)
        if self.at("?"):
            self.take()
            then = self.ternary()
            self.expect(":")
            condition = Ternary(condition, then, self.ternary())
        self.depth -= 1
        return condition

    _LEVELS: tuple[dict[str, str], ...] = (
        {"||": "||", "or": "||"},
        {"&&": "&&", "and": "&&"},
        {op: op for op in (*_COMPARISONS, "in", "=~", "!~")},  # =~ only from govaluate's lexer
        {"+": "+", "-": "-"},
        {"*": "*", "/": "/", "%": "%"},
        {"??": "??"},
    )
    # expr-lang's precedence of each level (parser/operator/operator.go Binary)
    _PRECEDENCE = (10, 15, 20, 30, 60, 500)

    def chain(self, level: int, context: int) -> Node:
        """Operators of ``level`` and tighter. ``context`` is the precedence expr-lang's
        ``parseExpression`` loop reading this operand has (0 at the top, one more than
        the operator before it): it decides when ``??`` meets another operator."""
        if level == len(self._LEVELS):
            return self.unary()
        ops = self._LEVELS[level]
        operand_context = self._PRECEDENCE[level] + 1
        first = self.chain(level + 1, context)
        rest: list[tuple[str, Node]] = []
        while True:
            if level == 2 and self.at("not") and self.tokens[self.index + 1].text == "in":
                self.index += 2
                rest.append(("not in", self.chain(level + 1, operand_context)))
            elif self.token.kind in ("op", "name") and self.token.text in ops:
                op = ops[self.take().text]
                rest.append((op, self.chain(level + 1, operand_context)))
            else:
                break
        if rest and level == len(self._LEVELS) - 1:
            self.unmixed(context)
        return Chain(first, tuple(rest)) if rest else first

    def unmixed(self, context: int) -> None:
        """expr-lang's parser refuses a binary operator right after ``a ?? b`` in the loop
        that read the ``??`` (``a ?? b + c``, ``a ?? b == c``): "cannot be mixed"."""
        token = self.token
        text = "in" if token.text == "not" and self.tokens[self.index + 1].text == "in" \
            else token.text
        if token.kind not in ("op", "name"):
            return
        for level, ops in enumerate(self._LEVELS[:-1]):
            if text in ops and self._PRECEDENCE[level] >= context:
                raise self.fail(f"Operator ({text}) and coalesce expressions (??) "
                                "cannot be mixed. Wrap either by parentheses.")

    def unary(self) -> Node:
        # expr-lang reads the operand of '!'/'not' with precedence 50 (so '*' and '??'
        # bind inside it) and of '-'/'+' with 90 ('??' binds inside: -a ?? b is -(a ?? b))
        if self.at("!", "not", "-", "+"):
            op = self.take().text
            self.nested()
            operand = self.chain(4, 50) if op in ("!", "not") else self.chain(5, 90)
            self.depth -= 1
            return Unary("!" if op == "not" else op, operand)
        return self.postfix()

    def postfix(self) -> Node:
        base = self.primary()
        steps: list[str | Node] = []
        while self.at(".", "[", "("):
            op = self.take().text
            if op == ".":
                if self.token.kind != "name":
                    raise self.fail(f"expected a name after '.', found {self.describe()}")
                steps.append(self.take().text)
            elif op == "[":
                steps.append(self.ternary())
                self.expect("]")
            else:
                base = self.call(base, steps)
                steps = []
        return Access(base, tuple(steps)) if steps else base

    def call(self, base: Node, steps: list[str | Node]) -> Node:
        if not isinstance(base, Name) or not all(isinstance(step, str) for step in steps):
            raise self.fail("calls are only allowed on function names")
        if not steps and base.name in CLOSURES:
            return self.closure(base.name)
        function = ".".join([base.name, *(str(step) for step in steps)])
        if function not in FUNCTIONS:
            raise self.fail(f"unknown function '{function}'")
        args = self.items(")")
        arity, variadic = FUNCTIONS[function].arity, FUNCTIONS[function].variadic
        if len(args) < arity or (len(args) > arity and not variadic):
            least = "at least " if variadic else ""
            raise self.fail(f"{function} takes {least}{arity} argument(s), got {len(args)}")
        return Call(function, args)

    def closure(self, function: str) -> Closure:
        """The arguments of ``function(array, predicate)``, after its '('."""
        if self.at(")"):
            raise self.fail(f"{function} expects at least 2 arguments")
        collection = self.ternary()
        predicate: Node | None = None
        if not (function == "count" and self.at(")")):
            if self.at(")"):
                raise self.fail(f"{function} expects at least 2 arguments")
            self.expect(",")
            self.closures.append(function)
            if self.at("{"):
                self.take()
                predicate = self.ternary()
                self.expect("}")
            else:
                predicate = self.ternary()
            self.closures.pop()
        if self.at(","):
            self.take()
        self.expect(")")
        return Closure(function, collection, predicate)

    def pointer(self, token: Token) -> Pointer:
        name = token.value
        following = self.token
        if not name and following.kind == "name" and following.text not in _WORD_OPERATORS:
            name = self.take().text  # '# index' is '#index' in expr-lang too
        if not self.closures:
            raise self.fail(f"'#' outside a predicate at offset {token.pos}")
        if name and not (name == "index" and self.closures[-1] == "map"):
            raise self.fail(f"unknown pointer #{name} at offset {token.pos}"
                            + (" (#index is only defined in map)" if name == "index" else ""))
        return Pointer(name)

    def map_literal(self) -> MapLiteral:
        """``{key: value, ...}`` after its '{' (expr-lang's ``parseMapExpression``): a key
        is a name, a string or a number, each standing for its text; a trailing comma is
        allowed. A computed key ``(expr)`` is refused."""
        pairs: list[tuple[str, Node]] = []
        while not self.at("}"):
            if pairs:
                self.expect(",")
                if self.at("}"):
                    break
            key = self.token
            if key.kind == "str":
                name = str(key.value)
            elif key.kind in ("num", "name") and key.text not in KEYWORDS - {"true", "false",
                                                                              "nil"}:
                name = key.text
            else:
                raise self.fail(f"a map key must be a quoted string, a number or a name, "
                                f"found {self.describe()}")
            self.index += 1
            self.expect(":")
            pairs.append((name, self.ternary()))
        self.expect("}")
        return MapLiteral(tuple(pairs))

    def items(self, closing: str) -> tuple[Node, ...]:
        items: list[Node] = []
        while not self.at(closing):
            items.append(self.ternary())
            if not self.at(closing):
                self.expect(",")
        self.expect(closing)
        return tuple(items)

    def primary(self) -> Node:
        token = self.take()
        if token.kind in ("num", "str"):
            return Literal(token.value)
        if token.kind == "name":
            if token.text in _LITERALS:
                return Literal(_LITERALS[token.text])
            if token.text in KEYWORDS:
                self.index -= 1
                raise self.fail(f"unexpected keyword {self.describe()}")
            return Name(token.text)
        if token.kind == "op" and token.text == "(":
            node = self.ternary()
            self.expect(")")
            return node
        if token.kind == "op" and token.text == "[":
            return Array(self.items("]"))
        if token.kind == "ptr":
            return self.pointer(token)
        if token.kind == "op" and token.text == "." and self.closures:
            self.index -= 1  # '.name' is '#.name': postfix reads the member
            return Pointer("")
        if token.kind == "op" and token.text == "{":
            return self.map_literal()
        self.index -= 1
        raise self.fail(f"unexpected {self.describe()}")
