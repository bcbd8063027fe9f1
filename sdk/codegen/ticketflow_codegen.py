"""An ariadne-codegen plugin: the generated models take the shape of the SDK's public models.

ariadne-codegen runs it (``plugins`` in sdk/pyproject.toml) from its own venv, where the
SDK is not installed, so it reads everything it needs from its config
(``[tool.ariadne-codegen.ticketflow]``) and works on names only:

* a class that only repeats a fragment (``class ShowStop(Stop): pass``) becomes the
  fragment's class itself (``ShowStop = Stop``), so a ``Hall`` is a ``Hall`` wherever it
  was read from, and two equal ones compare equal;
* the fragments listed in ``values`` are the SDK's own classes (``Money``, ``Segment``,
  ``Stop``: values callers also build), imported instead of generated;
* the fragments listed in ``extras`` also inherit a class of conveniences (``Show`` gets
  ``venue_name``);
* lists are tuples and models are frozen (immutable and hashable, as values should be);
* enums are ``StrEnum`` (``str(ShowKind.MOVIE) == "MOVIE"``).
"""

from __future__ import annotations

import ast
from typing import Any

from ariadne_codegen.plugins.base import Plugin
from graphql import ExecutableDefinitionNode, FragmentDefinitionNode, GraphQLEnumType


class TicketFlowModels(Plugin):
    def __init__(self, schema: Any, config_dict: dict[str, Any]) -> None:
        super().__init__(schema, config_dict)
        options = config_dict.get("tool", {}).get("ariadne-codegen", {}).get("ticketflow", {})
        self.values_module: str = options["values_module"]
        self.values: list[str] = list(options.get("values", []))
        self.extras: dict[str, str] = dict(options.get("extras", {}))

    # --- models -----------------------------------------------------------------------

    def generate_fragments_module(self, module: ast.Module,
                                  fragments_definitions: dict[str, FragmentDefinitionNode]
                                  ) -> ast.Module:
        body: list[ast.stmt] = []
        for node in module.body:
            if isinstance(node, ast.ClassDef) and node.name in self.values:
                continue  # imported from the SDK instead
            if _rebuilds(node) in self.values:
                continue  # not a pydantic model
            if isinstance(node, ast.ClassDef) and node.name in self.extras:
                node.bases.insert(0, ast.Name(self.extras[node.name]))
            body.append(node)
        imported = [*self.values, *self.extras.values()]
        first = next(i for i, node in enumerate(body)
                     if not isinstance(node, ast.Import | ast.ImportFrom))
        body.insert(first, ast.ImportFrom(self.values_module,
                                          [ast.alias(name) for name in sorted(imported)], 0))
        module.body = body
        return self._shaped(module)

    def generate_result_types_module(self, module: ast.Module,
                                     operation_definition: ExecutableDefinitionNode
                                     ) -> ast.Module:
        return self._shaped(module)

    def _shaped(self, module: ast.Module) -> ast.Module:
        module.body = [_alias_of_repeat(node) if isinstance(node, ast.ClassDef) else node
                       for node in module.body]
        _Tuples().visit(module)
        return ast.fix_missing_locations(module)

    def copy_code(self, copied_code: str) -> str:
        if "class BaseModel(PydanticBaseModel):" not in copied_code:
            return copied_code
        mutable = "validate_assignment=True,"
        if mutable not in copied_code:
            raise ValueError("ariadne-codegen's BaseModel changed: update ticketflow_codegen")
        return copied_code.replace(mutable, "frozen=True,", 1)

    # --- enums ------------------------------------------------------------------------

    def generate_enum(self, class_def: ast.ClassDef, enum_type: GraphQLEnumType
                      ) -> ast.ClassDef:
        class_def.bases = [ast.Name("StrEnum")]
        return class_def

    def generate_enums_module(self, module: ast.Module) -> ast.Module:
        for node in module.body:
            if isinstance(node, ast.ImportFrom) and node.module == "enum":
                node.names = [ast.alias("StrEnum")]
        return module


def _rebuilds(node: ast.stmt) -> str | None:
    """The class a ``X.model_rebuild()`` statement names, if it is one."""
    if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr == "model_rebuild"
            and isinstance(node.value.func.value, ast.Name)):
        return node.value.func.value.id
    return None


def _alias_of_repeat(node: ast.ClassDef) -> ast.stmt:
    """``X = Fragment`` for ``class X(Fragment): pass``; any other class as it is."""
    repeats = (len(node.bases) == 1 and isinstance(node.bases[0], ast.Name)
               and node.bases[0].id != "BaseModel" and not node.keywords
               and all(isinstance(s, ast.Pass) for s in node.body))
    if not repeats:
        return node
    return ast.Assign([ast.Name(node.name, ast.Store())], ast.Name(node.bases[0].id))


class _Tuples(ast.NodeTransformer):
    """``list[X]`` annotations as ``tuple[X, ...]`` (pydantic turns the JSON list into it)."""

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id in ("list", "List"):
            return ast.Subscript(ast.Name("tuple"),
                                 ast.Tuple([node.slice, ast.Constant(...)]))
        return node
