"""WSGI entry point. A WSGI server lets upload views stream ``wsgi.input`` (ARCHITECTURE.md)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tangguh.settings")
application = get_wsgi_application()
