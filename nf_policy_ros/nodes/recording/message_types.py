# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Message definitions and type hashes for the bag writer, for any type installed here.

rosbags knows the common ROS 2 message types (its Humble store). Any other type (a custom
package's message, a service's request or response, or the ``<Name>_Event`` type of a
``.../_service_event`` introspection topic) is read from the interface definition (.idl)
its package installs under share/<package>/ (found through the ament index, as rosbag2
finds them) and registered; a service's Event type is the struct rosidl generates for it
(``info``, ``request[<=1]``, ``response[<=1]``). The type hashes computed from those
definitions are the ones ROS computes (RIHS01). A type whose definition cannot be found or
read raises DefinitionError, one line naming the type and the reason.
"""

from __future__ import annotations

from pathlib import Path
import re

from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
from rosbags.interfaces import Nodetype
from rosbags.typesys import Stores, get_types_from_idl, get_typestore
from rosbags.typesys.base import TypesysError

IDL_SEPARATOR = '=' * 80 + '\n'
SERVICE_PARTS = ('_Request', '_Response')
EVENT = '_Event'
EVENT_IDL = """module {package} {{
  module srv {{
    struct {service}_Event {{
      service_msgs::msg::ServiceEventInfo info;
      sequence<{package}::srv::{service}_Request, 1> request;
      sequence<{package}::srv::{service}_Response, 1> response;
    }};
  }};
}};
"""


class DefinitionError(ValueError):
    """No usable definition of a message type; the message says which and why."""


def interface_file(type_name: str) -> tuple[str, str, str]:
    """'pkg/srv/Name_Event' -> ('pkg', 'srv', 'Name'): the package, the interface kind and
    the interface (the .idl file) that defines the type."""
    parts = type_name.split('/')
    if len(parts) != 3 or not all(parts):
        raise DefinitionError(f'{type_name}: expected a type name <package>/<msg|srv>/<Name>')
    package, kind, name = parts
    if kind == 'msg':
        return package, kind, name
    if kind == 'srv':
        for suffix in (*SERVICE_PARTS, EVENT):
            if name.endswith(suffix) and len(name) > len(suffix):
                return package, kind, name[:-len(suffix)]
    raise DefinitionError(f'{type_name}: only messages and service requests, responses and '
                          'events (<package>/srv/<Name>_Event) can be recorded')


def referenced_types(fields: list) -> set[str]:
    """The message types a rosbags field list names (nested arrays and sequences too)."""
    found = set()
    for _, node in fields:
        while node[0] in (Nodetype.ARRAY, Nodetype.SEQUENCE):
            node = node[1][0]
        if node[0] == Nodetype.NAME:
            found.add(node[1])
    return found


def read_idl(type_name: str, package: str, kind: str, interface: str) -> str:
    """The installed IDL text of an interface, without its #include lines (rosbags does not
    read them; the types they name are resolved one by one)."""
    try:
        share = Path(get_package_share_directory(package))
    except (PackageNotFoundError, ValueError):
        raise DefinitionError(f'{type_name}: package {package} is not installed (not in the '
                              'ament index, AMENT_PREFIX_PATH)') from None
    path = share / kind / f'{interface}.idl'
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f'{type_name}: cannot read {path}: '
                              f'{getattr(exc, "strerror", None) or exc}') from None
    return re.sub(r'^\s*#include\b.*$', '', text, flags=re.MULTILINE)


class MessageTypes:
    """rosbags' Humble type store, grown with the definitions found at run time."""

    def __init__(self) -> None:
        self.store = get_typestore(Stores.ROS2_HUMBLE)
        self._idl: dict[str, tuple[str, str]] = {}  # type -> (interface, IDL text), of the
        # types added here

    def definition(self, type_name: str) -> tuple[str, str]:
        """(message definition, RIHS01 type hash) of ``type_name`` for a bag connection:
        rosbags' ros2msg text for a type it knows, else the IDL texts it was read from."""
        if type_name not in self.store.fielddefs:
            self._add(type_name)
        try:
            if type_name.split('/')[1] == 'msg':
                msgdef, _ = self.store.generate_msgdef(type_name, ros_version=2)
            else:  # ros2msg text cannot name service types: IDL, as rosbag2 writes it
                msgdef = self._idl_definition(type_name)
            return msgdef, self.store.hash_rihs01(type_name)
        except (TypesysError, KeyError, AssertionError) as exc:
            raise DefinitionError(f'{type_name}: its definition is incomplete: '
                                  f'{type(exc).__name__}: {exc}') from None

    def _add(self, type_name: str) -> None:
        """Read ``type_name`` and every type it needs that the store lacks; register all."""
        found: dict = {}
        pending = [type_name]
        while pending:
            name = pending.pop()
            if name in found or name in self.store.fielddefs:
                continue
            package, kind, interface = interface_file(name)
            texts = {f'{package}/{kind}/{interface}': read_idl(name, package, kind, interface)}
            if kind == 'srv' and name.endswith(EVENT):
                texts[name] = EVENT_IDL.format(package=package, service=interface)
            for title, text in texts.items():
                try:
                    types = get_types_from_idl(text)
                except TypesysError as exc:
                    raise DefinitionError(f'{name}: the definition of {package}/{kind}/'
                                          f'{interface} cannot be parsed: '
                                          f'{" ".join(str(exc).split())[:200]}') from None
                for defined in types:
                    self._idl.setdefault(defined, (title, text))
                found.update({k: v for k, v in types.items() if k not in self.store.fielddefs})
            if name not in found:
                raise DefinitionError(f'{name}: {package}/{kind}/{interface}.idl does not '
                                      'define it')
            pending += referenced_types(found[name][1])
        self.store.register(found)

    def _idl_definition(self, type_name: str) -> str:
        """rosbag2's ros2idl text: the type's own IDL first, then those of the types it
        needs that were read here (the store's own types need none)."""
        order, pending = [], [type_name]
        while pending:
            name = pending.pop(0)
            if name in order or name not in self._idl:
                continue
            order.append(name)
            pending += referenced_types(self.store.fielddefs[name][1])
        sections = {}
        for name in order:
            title, text = self._idl[name]
            sections.setdefault(title, f'{IDL_SEPARATOR}IDL: {title}\n{text}')
        return ''.join(sections.values())
