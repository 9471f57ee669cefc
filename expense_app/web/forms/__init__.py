"""Flask-WTF forms of the HTML face: shape and type only, rules live in the services."""

from flask_wtf import FlaskForm

from expense_app.errors import ValidationFailed


def apply_service_errors(form: FlaskForm, error: ValidationFailed) -> None:
    """Attach a service's field errors to the matching form fields (or the form's own list)."""
    for field_name, messages in error.errors.items():
        field = getattr(form, field_name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
        else:
            form.form_errors.extend(messages)
