"""The central sync server (FastAPI): `create_app` in app.py."""
