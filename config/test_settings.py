"""Settings for the test suite: development defaults, fast hashing, mail kept in memory."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_DEBUG", "true")

from config.settings import *  # noqa: F403
from config.settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
# live_server serves files from the source folders, where no manifest exists.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Nothing is collected for tests: whitenoise serves from the finders alone.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# SQLite in a file of its own for each run, not in memory: the browser tests' live server
# then gives each of its threads its own connection instead of sharing the test's.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": Path(tempfile.gettempdir()) / f"rebound-test-{os.getpid()}.sqlite3"
    }
