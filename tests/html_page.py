"""A small DOM of an HTML page for the tests: elements, their attributes and their text."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def __contains__(self, name: str) -> bool:
        return name in self.attrs

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def iter(self) -> list[Element]:
        out = [self]
        for child in self.children:
            if isinstance(child, Element):
                out += child.iter()
        return out

    @property
    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return " ".join("".join(parts).split())


class HtmlPage(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self._open = [self.root]
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self._open[-1].children.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, 0, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                return

    def handle_data(self, data: str) -> None:
        self._open[-1].children.append(data)

    def find(self, tag: str, **attrs: str) -> list[Element]:
        """Elements TAG whose attributes include ATTRS (`class_` for class: one of its words)."""
        out = []
        for el in self.root.iter():
            if el.tag != tag:
                continue
            ok = True
            for name, value in attrs.items():
                name = name.rstrip("_").replace("_", "-")
                have = el.attrs.get(name)
                if have is None or (
                    value not in have.split() if name == "class" else have != value
                ):
                    ok = False
            if ok:
                out.append(el)
        return out

    def text_of(self, el: Element) -> str:
        return el.text


def page_of(html: str) -> HtmlPage:
    return HtmlPage(html)
