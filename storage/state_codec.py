"""A fast path for jsonpickle's format, for the plain objects dialog state is made of.

Dialog state holds objects (botbuilder's ``DialogState`` and ``DialogInstance``, prompt options
holding whole activities with their cards), so it is stored in jsonpickle's format, as
botbuilder's own Cosmos DB storage does. jsonpickle inspects every object for a dozen ways of
pickling it, which made encoding and decoding a turn's state a tenth of the turn's CPU.

Almost all of it is plain data: dicts with string keys, lists, strings, numbers, instances of
botbuilder and botframework classes that jsonpickle writes as ``{"py/object": "module.Class",
**their attributes}``, and botbuilder's string enums (``{"py/reduce": [...]}``), with a list,
dict or object met a second time written as ``{"py/id": n}``. :func:`encode` and :func:`decode`
handle exactly that and produce what jsonpickle produces (a test holds them to it); anything else
in an item (a datetime, a tuple, a class that pickles itself its own way) makes them hand the
whole item to jsonpickle, so the stored format never changes.
"""

from __future__ import annotations

import enum
import functools
import importlib
import math
from typing import Any, Callable

from jsonpickle.pickler import Pickler
from jsonpickle.tags import RESERVED
from jsonpickle.unpickler import Unpickler

OBJECT_TAG = "py/object"
ID_TAG = "py/id"
REDUCE_TAG = "py/reduce"
TYPE_TAG = "py/type"
TUPLE_TAG = "py/tuple"
#: Modules whose classes may be written and rebuilt by the fast path.
PLAIN_MODULE_PREFIXES = ("botbuilder.", "botframework.")
#: How a class may pickle itself; any of these of its own means jsonpickle must handle it.
_SPECIAL_METHODS = ("__reduce__", "__reduce_ex__", "__getstate__", "__setstate__", "__getnewargs__",
                    "__getnewargs_ex__", "__getinitargs__")


class _NotPlain(Exception):
    """The item holds something only jsonpickle knows how to write or read."""


@functools.cache
def _plain_class_name(cls: type) -> str | None:
    """``module.QualName`` if instances of ``cls`` are plain attribute bags, else None."""
    name = None
    module = getattr(cls, "__module__", "") or ""
    if module.startswith(PLAIN_MODULE_PREFIXES) and not isinstance(cls.__dict__.get("__slots__"), (tuple, list, str)):
        plain = not issubclass(cls, (dict, list, tuple, set, BaseException)) and "<" not in cls.__qualname__
        for klass in cls.__mro__[:-1]:  # everything but object itself
            if any(method in klass.__dict__ for method in _SPECIAL_METHODS) or "__slots__" in klass.__dict__:
                plain = False
                break
        if plain and hasattr(cls, "__members__"):  # enums
            plain = False
        if plain:
            name = f"{module}.{cls.__qualname__}"
    return name


class _Flattener:
    """One item's walk. Like jsonpickle, it numbers every list, dict and object in the order met
    and writes a second meeting of the same one as ``{"py/id": number}``."""

    __slots__ = ("refs",)

    def __init__(self) -> None:
        self.refs: dict[int, int] = {}

    def _ref(self, value: Any) -> dict | None:
        number = self.refs.get(id(value))
        if number is not None:
            return {ID_TAG: number}
        self.refs[id(value)] = len(self.refs)  # numbered from 0, as jsonpickle does
        return None

    def flatten(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return value
        if kind is float:
            if not math.isfinite(value):
                raise _NotPlain
            return value
        if kind is list:
            return self._ref(value) or [self.flatten(item) for item in value]
        if kind is dict:
            return self._ref(value) or self._items(value, {})
        enum_name = _enum_class_name(kind)
        if enum_name is not None:
            return self._ref(value) or {
                REDUCE_TAG: [{TYPE_TAG: enum_name}, {TUPLE_TAG: [self.flatten(value.value)]}]
            }
        name = _plain_class_name(kind)
        if name is None or not hasattr(value, "__dict__"):
            raise _NotPlain
        return self._ref(value) or self._items(value.__dict__, {OBJECT_TAG: name})

    def _items(self, items: dict, into: dict) -> dict:
        for key, item in items.items():
            if type(key) is not str or key in RESERVED:
                raise _NotPlain
            into[key] = self.flatten(item)
        return into


@functools.cache
def _enum_class_name(cls: type) -> str | None:
    """``module.QualName`` of a botbuilder enum whose members are strings, else None."""
    module = getattr(cls, "__module__", "") or ""
    if module.startswith(PLAIN_MODULE_PREFIXES) and isinstance(cls, enum.EnumMeta) and issubclass(cls, str):
        return f"{module}.{cls.__qualname__}"
    return None


def encode(item: object) -> Any:
    """``item`` in jsonpickle's format (what ``Pickler().flatten(item)`` returns)."""
    try:
        return _Flattener().flatten(item)
    except _NotPlain:
        return Pickler().flatten(item)


_classes: dict[str, type] = {}


def _importable(name: Any, cache: dict[str, type], name_of: Callable[[type], str | None]) -> type:
    """The class ``name`` stands for, if the fast path may rebuild it (``name_of`` agrees), cached."""
    cls = cache.get(name) if isinstance(name, str) else None
    if cls is None:
        if not isinstance(name, str) or not name.startswith(PLAIN_MODULE_PREFIXES):
            raise _NotPlain
        module_name, _, qualname = name.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module_name), qualname)
        except (ImportError, AttributeError, ValueError):
            raise _NotPlain from None
        if not isinstance(cls, type) or name_of(cls) != name:
            raise _NotPlain
        cache[name] = cls
    return cls


def _class_named(name: Any) -> type:
    return _importable(name, _classes, _plain_class_name)


_enums: dict[str, type] = {}


def _enum_named(name: Any) -> type:
    return _importable(name, _enums, _enum_class_name)


class _Restorer:
    """One document's walk, numbering lists, dicts and objects as :class:`_Flattener` does."""

    __slots__ = ("objects",)

    def __init__(self) -> None:
        self.objects: list[Any] = []

    def restore(self, value: Any) -> Any:
        kind = type(value)
        if kind is list:
            restored: list = []
            self.objects.append(restored)
            restored.extend(self.restore(item) for item in value)
            return restored
        if kind is not dict:
            return value
        if OBJECT_TAG in value:
            return self._object(value)
        if ID_TAG in value:
            if len(value) != 1 or type(value[ID_TAG]) is not int or not 0 <= value[ID_TAG] < len(self.objects):
                raise _NotPlain
            return self.objects[value[ID_TAG]]
        if REDUCE_TAG in value:
            return self._enum(value)
        result: dict = {}
        self.objects.append(result)
        for key, item in value.items():
            if key in RESERVED:
                raise _NotPlain
            result[key] = self.restore(item)
        return result

    def _object(self, value: dict) -> Any:
        cls = _class_named(value[OBJECT_TAG])
        instance = cls.__new__(cls)
        self.objects.append(instance)
        attributes = instance.__dict__
        for key, item in value.items():
            if key == OBJECT_TAG:
                continue
            if key in RESERVED:
                raise _NotPlain
            attributes[key] = self.restore(item)
        return instance

    def _enum(self, value: dict) -> Any:
        try:
            (type_ref, arguments), = (value[REDUCE_TAG],) if len(value) == 1 else ()
            cls = _enum_named(type_ref[TYPE_TAG])
            (member_value,) = arguments[TUPLE_TAG]
            member = cls(member_value)
        except (KeyError, TypeError, ValueError):
            raise _NotPlain from None
        self.objects.append(member)
        return member


def decode(document: Any) -> Any:
    """The object jsonpickle's ``Unpickler(safe=True).restore(document)`` returns."""
    try:
        return _Restorer().restore(document)
    except _NotPlain:
        return Unpickler(safe=True).restore(document)
