"""Password hashing (scrypt through werkzeug) and the rules a password must meet."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10

# A hash that verification can run against when the user does not exist, so that the
# time a login takes does not tell whether a username is taken.
_DUMMY_HASH = generate_password_hash("not-a-real-password-hash-seed")


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(stored_hash, password)


def password_problems(password: str) -> list[str]:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"At least {MIN_LENGTH} characters.")
    if password.strip() != password:
        problems.append("No spaces at the start or end.")
    return problems
