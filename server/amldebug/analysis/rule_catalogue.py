"""The rule catalogue: every analyzer's `RULES` gathered, so `docs/rules.md`, `amldebug rule
CODE`, hovers and the tests read one source."""

from __future__ import annotations

from functools import cache

from amldebug.rules import Rule


@cache
def all_rules() -> dict[str, Rule]:
    # Imported here: the analyzers load only when a catalogue is asked for.
    from amldebug.analysis import (
        conda_file,
        core,
        deployment_references,
        deployment_yaml,
        entry_script,
        environment_resolution,
        image_imports,
        scale_settings,
        steps_file,
    )

    rules: dict[str, Rule] = {}
    modules = (
        core,
        entry_script,
        image_imports,
        conda_file,
        steps_file,
        scale_settings,
        deployment_references,
        deployment_yaml,
        environment_resolution,
    )
    for module in modules:
        for rule in module.RULES:
            if rule.code in rules:
                raise RuntimeError(f"rule code {rule.code} declared twice")
            rules[rule.code] = rule
    return dict(sorted(rules.items()))


def get_rule(code: str) -> Rule | None:
    return all_rules().get(code.strip().upper())


def render_rule(rule: Rule) -> str:
    """A rule's documentation as markdown, as `amldebug rule CODE` prints it."""
    parts = [
        f"## {rule.code} `{rule.name}`",
        "",
        f"**{rule.severity.label}** · {rule.summary}"
        + (" · quick fix available" if rule.fixable else ""),
        "",
        "### Why",
        "",
        rule.why.strip(),
        "",
        "### How to fix",
        "",
        rule.fix.strip(),
    ]
    if rule.example.strip():
        parts += ["", "### Example", "", rule.example.strip()]
    parts += ["", f"Silence one line with `# noqa: {rule.code}`.", ""]
    return "\n".join(parts)


def render_catalogue() -> str:
    """The whole `docs/rules.md`: a table, then one section per rule."""
    rules = all_rules().values()
    lines = [
        "# amldebug rules",
        "",
        "Generated from the rule catalogue (`amldebug rule --all > docs/rules.md`); edit the",
        "catalogue in `server/amldebug/analysis/`, not this file.",
        "",
        "| code | name | severity | what | fix |",
        "|---|---|---|---|---|",
    ]
    for rule in rules:
        summary = rule.summary.replace("|", "\\|")
        lines.append(
            f"| [{rule.code}](#{rule.code.lower()}-{rule.name}) | {rule.name} "
            f"| {rule.severity.label} "
            f"| {summary} | {'yes' if rule.fixable else ''} |"
        )
    lines.append("")
    lines.extend(render_rule(rule) for rule in rules)
    return "\n".join(lines)
