"""One input rule for every string a client sends, checked before any resolver runs.

Every ``String`` and ``ID`` argument and input field, at any depth, must be text:

* no control characters (U+0000-U+001F, U+007F-U+009F) and no lone surrogates (they cannot
  be stored as UTF-8: PostgreSQL refuses a NUL, the driver refuses a surrogate). Free-text
  fields also allow tab, newline and carriage return;
* at most ``MAX_TEXT`` (256) characters, ``MAX_FREE_TEXT`` for free text, or what the field
  declares.

A field or argument declares another rule with ``metadata=text_rule(...)`` on
``strawberry.field`` / ``strawberry.argument``. Strings anywhere inside a ``JSON`` or
``_Any`` value (seat maps, federation entity representations) follow the plain rule, keys
included. Other scalars (``DateTime``) parse their own format and refuse anything else.

A value that breaks the rule is ``BAD_USER_INPUT`` whose ``field`` is its argument path
(``input.rows[1].label``). Which paths hold strings depends only on the document, so an
operation's :class:`InputPlan` is built once per document and checks literals then; a
request only walks the values of its variables.

Longer than most modules: the rule, the plan that applies it and the walk over values are
one mechanism, read together.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    visit,
)

from subgraphs.kernel.errors import BadUserInput

MAX_TEXT: Final = 256
MAX_FREE_TEXT: Final = 10_000
RULE_KEY: Final = "ticketflow.text_rule"
TEXT_SCALARS: Final = frozenset({"String", "ID"})
JSON_SCALARS: Final = frozenset({"JSON", "_Any"})

# Cc (C0, DEL, C1) and surrogates; free text keeps \t \n \r.
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NOT_FREE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class TextRule:
    """How long a string may be, and whether it is free text (tab and newlines allowed)."""

    max_length: int = MAX_TEXT
    free_text: bool = False


PLAIN: Final = TextRule()


def text_rule(max_length: int | None = None, *, free_text: bool = False) -> dict[str, TextRule]:
    """``metadata`` giving a field or argument a rule of its own.

    ``strawberry.field(metadata=text_rule(free_text=True))`` for a description, or
    ``text_rule(320)`` for an e-mail address. Without it a string follows ``PLAIN``.
    """
    limit = max_length if max_length is not None else MAX_FREE_TEXT if free_text else MAX_TEXT
    return {RULE_KEY: TextRule(limit, free_text)}


def text_problem(value: str, rule: TextRule = PLAIN) -> str | None:
    """Why ``value`` breaks ``rule`` (a message for the client), or ``None``."""
    if len(value) > rule.max_length:
        return f"At most {rule.max_length} characters."
    pattern = _NOT_FREE_TEXT if rule.free_text else _NOT_TEXT
    if pattern.search(value) is not None:
        allowed = " other than tab and newline" if rule.free_text else ""
        return f"Control characters{allowed} are not allowed."
    return None


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def could_be_id(value: str) -> bool:
    """Whether ``value`` has the shape of our ids (``new_id``, seat ids: lower-case UUIDs).

    Anything else is unknown without asking the database; use it where an id would be
    written before it is looked up (a column holds 36 characters).
    """
    return len(value) == 36 and _UUID.fullmatch(value) is not None


# --- checking values ------------------------------------------------------------------

Part = str | int  # an argument or field name, or a list index


@dataclass(slots=True)
class _Failure:
    message: str
    parts: list[Part] = field(default_factory=list)  # innermost first: built on the way out


Check = Callable[[Any], _Failure | None]


def _path(parts: list[Part]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else part
    return out


def _text_check(rule: TextRule) -> Check:
    def check(value: Any) -> _Failure | None:
        problem = text_problem(value, rule) if isinstance(value, str) else None
        return None if problem is None else _Failure(problem)

    return check


def _json_failure(value: Any) -> _Failure | None:
    """The first string (or key) of a JSON value that breaks the plain rule."""
    if isinstance(value, str):
        problem = text_problem(value)
        return None if problem is None else _Failure(problem)
    items: Any = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        failure = _json_failure(key) if isinstance(key, str) else None
        failure = failure or _json_failure(item)
        if failure is not None:
            failure.parts.append(key)
            return failure
    return None


def _list_check(item: Check) -> Check:
    def check(value: Any) -> _Failure | None:
        if not isinstance(value, list):
            return item(value)  # a single value stands for a list of one
        for i, element in enumerate(value):
            failure = item(element)
            if failure is not None:
                failure.parts.append(i)
                return failure
        return None

    return check


def _object_check(fields: list[tuple[str, Check]]) -> Check:
    def check(value: Any) -> _Failure | None:
        if not isinstance(value, dict):
            return None  # not an object: coercion refuses it
        for name, field_check in fields:
            if name in value:
                failure = field_check(value[name])
                if failure is not None:
                    failure.parts.append(name)
                    return failure
        return None

    return check


def rule_of(definition: GraphQLArgument | GraphQLInputField) -> TextRule:
    """The rule an argument or input field declared with ``text_rule``, else ``PLAIN``."""
    strawberry_definition = (definition.extensions or {}).get("strawberry-definition")
    metadata = getattr(strawberry_definition, "metadata", None) or {}
    rule = metadata.get(RULE_KEY, PLAIN)
    return rule if isinstance(rule, TextRule) else PLAIN


def _named(type_: GraphQLInputType) -> GraphQLInputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _compile(type_: GraphQLInputType, rule: TextRule) -> Check | None:
    """A check of a runtime value of ``type_``; ``None`` when it cannot hold a string."""
    type_ = _named(type_)
    if isinstance(type_, GraphQLList):
        item = _compile(type_.of_type, rule)
        return None if item is None else _list_check(item)
    if isinstance(type_, GraphQLInputObjectType):
        fields = [(name, c) for name, f in type_.fields.items()
                  if (c := _compile(f.type, rule_of(f))) is not None]
        return _object_check(fields) if fields else None
    if isinstance(type_, GraphQLScalarType):
        if type_.name in TEXT_SCALARS:
            return _text_check(rule)
        if type_.name in JSON_SCALARS:
            return _json_failure
    return None


# --- plans ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InputPlan:
    """What to check of one operation: a literal's failure, found once, and the variables
    whose values hold strings, each with the argument path it is used at."""

    literal: BadUserInput | None = None
    uses: tuple[tuple[str, tuple[Part, ...], Check], ...] = ()

    def error(self, variables: Mapping[str, Any] | None) -> BadUserInput | None:
        """The first value of this request that breaks the rule, as ``BAD_USER_INPUT``."""
        if self.literal is not None:
            return self.literal
        if not variables:
            return None
        for name, prefix, check in self.uses:
            if name in variables:
                failure = check(variables[name])
                if failure is not None:
                    return BadUserInput(failure.message,
                                        field=_path([*prefix, *reversed(failure.parts)]))
        return None


EMPTY_PLAN: Final = InputPlan()


class _Planner:
    """Walks the argument values of one operation (and the fragments it uses)."""

    def __init__(self, schema: GraphQLSchema, operation: OperationDefinitionNode) -> None:
        self.schema = schema
        self.defaults = {d.variable.name.value: d.default_value
                         for d in operation.variable_definitions or ()
                         if d.default_value is not None}
        self.literal: BadUserInput | None = None
        self.uses: list[tuple[str, tuple[Part, ...], Check]] = []

    def argument(self, definition: GraphQLArgument, name: str, value: ValueNode) -> None:
        self.value(value, definition.type, rule_of(definition), (name,))

    def value(self, node: ValueNode, type_: GraphQLInputType, rule: TextRule,
              parts: tuple[Part, ...]) -> None:
        type_ = _named(type_)
        if isinstance(node, VariableNode):
            self.variable(node.name.value, type_, rule, parts)
        elif isinstance(type_, GraphQLList):
            items = node.values if isinstance(node, ListValueNode) else (node,)
            step = isinstance(node, ListValueNode)
            for i, item in enumerate(items):
                self.value(item, type_.of_type, rule, (*parts, i) if step else parts)
        elif isinstance(type_, GraphQLInputObjectType) and isinstance(node, ObjectValueNode):
            for f in node.fields:
                definition = type_.fields.get(f.name.value)
                if definition is not None:
                    self.value(f.value, definition.type, rule_of(definition),
                               (*parts, f.name.value))
        elif isinstance(type_, GraphQLScalarType) and type_.name in TEXT_SCALARS:
            if isinstance(node, StringValueNode):
                self.fail(_text_check(rule)(node.value), parts)
        elif isinstance(type_, GraphQLScalarType) and type_.name in JSON_SCALARS:
            self.json(node, parts)

    def json(self, node: ValueNode, parts: tuple[Part, ...]) -> None:
        if isinstance(node, VariableNode):
            self.uses.append((node.name.value, parts, _json_failure))
        elif isinstance(node, StringValueNode):
            self.fail(_json_failure(node.value), parts)
        elif isinstance(node, ListValueNode):
            for i, item in enumerate(node.values):
                self.json(item, (*parts, i))
        elif isinstance(node, ObjectValueNode):
            for f in node.fields:
                self.fail(_json_failure(f.name.value), (*parts, f.name.value))
                self.json(f.value, (*parts, f.name.value))

    def variable(self, name: str, type_: GraphQLInputType, rule: TextRule,
                 parts: tuple[Part, ...]) -> None:
        check = _compile(type_, rule)
        if check is not None:
            self.uses.append((name, parts, check))
        default = self.defaults.get(name)
        if default is not None:  # used when the request leaves the variable out
            self.value(default, type_, rule, parts)

    def fail(self, failure: _Failure | None, parts: tuple[Part, ...]) -> None:
        if failure is not None and self.literal is None:
            self.literal = BadUserInput(failure.message,
                                        field=_path([*parts, *reversed(failure.parts)]))

    def plan(self) -> InputPlan:
        return InputPlan(self.literal, tuple(self.uses))


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.names.append(node.name.value)


def _fragments(document: DocumentNode, operation: OperationDefinitionNode
               ) -> list[FragmentDefinitionNode]:
    """The fragments ``operation`` uses, directly or through other fragments."""
    defined = {d.name.value: d for d in document.definitions
               if isinstance(d, FragmentDefinitionNode)}
    found: dict[str, FragmentDefinitionNode] = {}
    todo: list[Node] = [operation]
    while todo:
        spreads = _Spreads()
        visit(todo.pop(), spreads)
        for name in spreads.names:
            if name in defined and name not in found:
                found[name] = defined[name]
                todo.append(defined[name])
    return list(found.values())


def plan_operation(schema: GraphQLSchema, document: DocumentNode,
                   operation_name: str | None) -> InputPlan:
    """The :class:`InputPlan` of the operation a request runs (of a validated document)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return EMPTY_PLAN  # execution reports the missing operation
    planner = _Planner(schema, operation)
    type_info = TypeInfo(schema)

    class Arguments(Visitor):
        def enter_argument(self, node: Any, *_: Any) -> Any:
            definition = type_info.get_argument()
            if definition is not None:
                planner.argument(definition, node.name.value, node.value)
            return Visitor.SKIP  # its value was walked, with its types, above

    for node in [operation, *_fragments(document, operation)]:
        visit(node, TypeInfoVisitor(type_info, Arguments()))
    return planner.plan()


def input_error(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
                variables: Mapping[str, Any] | None) -> BadUserInput | None:
    """The first string of a request that breaks the rule (uncached; see ``InputPlan``)."""
    return plan_operation(schema, document, operation_name).error(variables)
