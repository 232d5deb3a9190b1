"""Loading form files: YAML → JSON Schema → semantic checks → a frozen `Form`.

Owns turning a form file into a Form or into `file:line: message` errors (the YAML and
schema layers are formengine.formsource, the meaning formengine.builder), and the registry of
every form version this laptop knows (with the office's product list filled in where a form
asks for it). Never evaluates an expression.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from kitchentable.errors import FormError, FormErrors, UnknownForm
from kitchentable.formengine.builder import Builder
from kitchentable.formengine.formsource import (
    Lines,
    compose,
    duplicate_keys,
    schema,
    schema_errors,
)
from kitchentable.formengine.model import Form, version_key
from kitchentable.formengine.optionsources import Product, with_products
from kitchentable.paths import forms_dir

__all__ = ["FormRegistry", "load_form", "parse_form_text", "schema"]


def parse_form_text(text: str, source: str = "<form>") -> Form:
    """Parse and check a form given as YAML text; raises FormErrors listing every problem."""
    root, data = compose(text, source)
    lines = Lines(root)
    errors = [FormError(source, line, msg) for line, msg in duplicate_keys(root)]
    errors += schema_errors(data, lines, source)
    if errors:
        raise FormErrors(sorted(errors, key=lambda e: e.line))
    builder = Builder(source, lines)
    form = builder.build(data, hashlib.sha256(text.encode("utf-8")).hexdigest())
    if builder.errors:
        raise FormErrors(sorted(builder.errors, key=lambda e: e.line))
    return form


def load_form(path: str | Path) -> Form:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormErrors([FormError(str(file), 1, f"cannot read the file: {exc}")]) from exc
    return parse_form_text(text, str(file))


class FormRegistry:
    """Every form version this laptop knows: shipped files plus versions received later.

    A conversation asks for the exact (id, version) it began with; new conversations get the
    newest version of a form.
    """

    def __init__(self, forms: Iterable[Form] = ()) -> None:
        self._loaded: dict[tuple[str, str], Form] = {}  # as the files give them
        self._forms: dict[tuple[str, str], Form] = {}  # with this laptop's products
        self._products: tuple[Product, ...] = ()
        self.problems: list[FormError] = []
        for form in forms:
            self.add(form)

    @classmethod
    def from_directory(cls, directory: Path | None = None) -> FormRegistry:
        registry = cls()
        for path in sorted((directory or forms_dir()).glob("*.yaml")):
            try:
                form = load_form(path)
            except FormErrors as exc:
                registry.problems.extend(exc.errors)
                continue
            earlier = registry._loaded.get(form.key)
            if earlier is not None:
                # Two files claiming one version: which one a conversation gets would depend on
                # file names. The first is kept and the second reported.
                registry.problems.append(
                    FormError(
                        str(path),
                        _version_line(path),
                        f"form '{form.id}' version {form.version} is also in {earlier.source}; "
                        "give this file a new version",
                    )
                )
                continue
            registry.add(form)
        return registry

    def add(self, form: Form) -> None:
        self._loaded[form.key] = form
        self._forms[form.key] = with_products(form, self._products)

    def use_products(self, products: tuple[Product, ...]) -> None:
        """Offer these products (the office's product list) in every `options_from:
        products` question from now on; forms without one stay as they are."""
        if products != self._products:
            self._products = products
            self._forms = {k: with_products(f, products) for k, f in self._loaded.items()}

    @property
    def products(self) -> tuple[Product, ...]:
        return self._products

    def get(self, form_id: str, version: str | None = None) -> Form:
        if version is not None:
            form = self._forms.get((form_id, version))
            if form is None:
                raise UnknownForm(form=form_id, version=version)
            return form
        versions = [f for (fid, _v), f in self._forms.items() if fid == form_id]
        if not versions:
            raise UnknownForm(form=form_id, version="-")
        return max(versions, key=lambda f: version_key(f.version))

    def latest(self) -> list[Form]:
        ids = sorted({fid for fid, _ in self._forms})
        return [self.get(fid) for fid in ids]

    def all(self) -> list[Form]:
        return [self._forms[k] for k in sorted(self._forms)]


def _version_line(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    found = re.search(r"^version\s*:", text, re.MULTILINE)
    return text.count("\n", 0, found.start()) + 1 if found else 1
