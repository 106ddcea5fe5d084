"""The dialogue request over HTTP: serializers and views that parse, call a service and render."""
