"""mod_env (mod_env.c): SetEnv, UnsetEnv and PassEnv fill the CGI environment.

Each section keeps the variables it sets (``vars``, in order) and the names it unsets.
An UnsetEnv drops a name set earlier in the same section at once; the merge applies the
added section's unsets to what it inherits, then its own settings, as Apache does.  The
fixups hook overlays the merged variables on ``r.subprocess_env``; Apache's
apr_table_overlay puts the request's own entries first, so a variable that an earlier
hook (SetEnvIf, say) already set keeps that earlier value for every reader.
"""
from __future__ import annotations

from typing import Optional

import attrs

from httpd.module.hooks import DECLINED, MIDDLE, OK, determined
from httpd.module import OR_FILEINFO, Args, Module, directive

MODULE_NAME = "env_module"


@attrs.define
class EnvDirConfig:
    """``vars``: name -> value in the order set (apr tables keep the first key's place
    and spelling; names compare case-insensitively, see :func:`_set`).  ``unsetenv``:
    the names this section unsets."""

    vars: dict[str, str] = attrs.field(factory=dict)
    unsetenv: list[str] = attrs.field(factory=list)


def create_dir_config(path: Optional[str]) -> EnvDirConfig:
    return EnvDirConfig()


def _find(table: dict, name: str) -> Optional[str]:
    """The key of ``table`` that equals ``name`` case-insensitively (apr tables)."""
    if name in table:
        return name
    low = name.lower()
    return next((k for k in table if k.lower() == low), None)


def _set(table: dict, name: str, value: str) -> None:
    """apr_table_setn: replace the value in place, keeping the first spelling."""
    key = _find(table, name)
    table[name if key is None else key] = value


def _unset(table: dict, name: str) -> None:
    key = _find(table, name)
    while key is not None:
        del table[key]
        key = _find(table, name)


def merge_dir_config(base: EnvDirConfig, add: EnvDirConfig) -> EnvDirConfig:
    """merge_env_dir_configs: base's vars, minus add's unsets, plus add's vars."""
    merged = dict(base.vars)
    for name in add.unsetenv:
        _unset(merged, name)
    for name, value in add.vars.items():
        _set(merged, name, value)
    return EnvDirConfig(merged, [])


@directive("PassEnv", Args.ITERATE, OR_FILEINFO,
           "a list of environment variables to pass to CGI.")
def add_env_module_vars_passed(cmd, conf: EnvDirConfig, arg: str):
    value = cmd.process.environ.get(arg)
    if value is not None:
        _set(conf.vars, arg, value)
    else:
        cmd.log.error("env", "warn", f"AH01506: PassEnv variable {arg} was undefined")
    return None


@directive("SetEnv", Args.TAKE12, OR_FILEINFO,
           "an environment variable name and optional value to pass to CGI.")
def add_env_module_vars_set(cmd, conf: EnvDirConfig, name: str, value: Optional[str]):
    if "=" in name:
        # apr_strtok(name, "="): the first token, and the rest after its delimiter
        stripped = name.lstrip("=")
        env, _, rest = stripped.partition("=")
        env_text = env if env else "(null)"
        cmd.log.error("env", "warn",
                      "AH10032: Spurious usage of '=' in an environment variable name. "
                      f"'{cmd.cmd.name} {env_text} {rest}' expected instead?")
    _set(conf.vars, name, value or "")
    return None


@directive("UnsetEnv", Args.ITERATE, OR_FILEINFO,
           "a list of variables to remove from the CGI environment.")
def add_env_module_vars_unset(cmd, conf: EnvDirConfig, arg: str):
    # Only a {Set,Pass}Env earlier in this section is dropped here; the merge applies
    # the name to what the section inherits.
    if all(name.lower() != arg.lower() for name in conf.unsetenv):
        conf.unsetenv.append(arg)
    _unset(conf.vars, arg)
    return None


def fixup_env_module(r) -> int:
    """apr_table_overlay(subprocess_env, vars): entries already there stay first."""
    conf: EnvDirConfig = r.module_config(MODULE_NAME)
    if conf is None or not conf.vars:
        return DECLINED
    env = r.subprocess_env
    for name, value in conf.vars.items():
        if name not in env and _find(env, name) is None:
            env[name] = value
    return OK


def no_vars(r) -> bool:
    """Without SetEnv/PassEnv the fixup does nothing (hooks.determined; with them it
    reads the environment other modules set first)."""
    conf = r.module_config(MODULE_NAME)
    return conf is None or not conf.vars


MODULE = Module(
    MODULE_NAME, "mod_env.c",
    (add_env_module_vars_passed, add_env_module_vars_set, add_env_module_vars_unset),
    create_dir_config=create_dir_config,
    merge_dir_config=merge_dir_config,
    hooks={"fixups": (determined(fixup_env_module, no_vars), MIDDLE)},
    doc="Modifies the environment which is passed to CGI scripts and SSI pages",
)
