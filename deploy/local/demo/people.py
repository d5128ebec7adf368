"""The demo's company: its people (every role of the regulations' role table), the heads of its
departments, and the calendar its story keeps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from bizdev_common.auth import issue_token

NAMESPACE = uuid.UUID("6f1c8a52-2d0e-4c39-9a55-5b3c1f0d7e21")
"""Ids the demo makes up itself (a marketing file's subject) derive from this, so a second
run sends the same bodies."""
CNY = "CNY"


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    department: str
    position: str
    roles: tuple[str, ...]
    supervisor: str | None = None

    def token(self, secret: str) -> str:
        return str(issue_token(self.user_id, self.department, list(self.roles), secret=secret))


# The company: every role of the regulations' role table.
STAFF = [
    Person("wang.jun", "Wang Jun", "management", "Chief executive", ("employee", "management")),
    Person(
        "chen.li",
        "Chen Li",
        "management",
        "Deputy director",
        ("employee", "management"),
        "wang.jun",
    ),
    Person(
        "zhao.min",
        "Zhao Min",
        "sales",
        "Head of sales",
        ("employee", "department_head"),
        "wang.jun",
    ),
    Person("li.na", "Li Na", "sales", "Key account manager", ("employee",), "zhao.min"),
    Person("liu.yang", "Liu Yang", "sales", "Sales representative", ("employee",), "zhao.min"),
    Person("sun.hao", "Sun Hao", "sales", "Sales representative", ("employee",), "zhao.min"),
    Person(
        "zhou.xin",
        "Zhou Xin",
        "market",
        "Head of market research",
        ("employee", "department_head"),
        "wang.jun",
    ),
    Person("wu.fang", "Wu Fang", "market", "Market analyst", ("employee",), "zhou.xin"),
    Person(
        "hu.bo",
        "Hu Bo",
        "delivery",
        "Head of delivery",
        ("employee", "department_head"),
        "wang.jun",
    ),
    Person(
        "guo.qiang", "Guo Qiang", "delivery", "Project lead", ("employee", "team_lead"), "hu.bo"
    ),
    Person("he.jing", "He Jing", "delivery", "Solutions engineer", ("employee",), "guo.qiang"),
    Person(
        "ma.lin",
        "Ma Lin",
        "finance",
        "Head of finance",
        ("employee", "department_head", "finance"),
        "wang.jun",
    ),
    Person("xu.mei", "Xu Mei", "finance", "Accountant", ("employee", "finance"), "ma.lin"),
    Person("lin.tao", "Lin Tao", "risk", "Risk officer", ("employee", "risk_officer"), "wang.jun"),
    Person("luo.yu", "Luo Yu", "archives", "Archivist", ("employee", "archivist"), "wang.jun"),
    Person("gao.ping", "Gao Ping", "archives", "Archivist", ("employee", "archivist"), "luo.yu"),
    Person("tang.hui", "Tang Hui", "hr", "HR officer", ("employee", "hr"), "wang.jun"),
    Person("deng.ya", "Deng Ya", "hr", "HR officer", ("employee", "hr"), "tang.hui"),
    Person("song.yi", "Song Yi", "audit", "Internal auditor", ("auditor",), "wang.jun"),
]
HEADS = {"management": "wang.jun", "sales": "zhao.min", "market": "zhou.xin"}
HEADS |= {"delivery": "hu.bo", "finance": "ma.lin"}
HEADS |= {"risk": "lin.tao", "archives": "luo.yu", "hr": "tang.hui", "audit": "song.yi"}


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": CNY}


def last_quarter(today: date) -> str:
    """The last quarter that is over: a cycle is finalized only once its period is."""
    q = (today.month - 1) // 3  # 0..3, this quarter's index; the last one is q - 1
    return f"{today.year - 1}-Q4" if q == 0 else f"{today.year}-Q{q}"


def last_month(today: date) -> tuple[int, int]:
    first = today.replace(day=1) - timedelta(days=1)
    return first.year, first.month
