"""Tags: the labels used on expenses, with how often each is used."""

from flask.views import MethodView
from flask_smorest import Blueprint

from expense_app.api.authentication import auth_required, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas.expenses import TagSchema
from expense_app.services import tags

URL_PREFIX = "/tags"
blp = Blueprint(
    "Tags",
    __name__,
    description="Your tags. They are created when first used on an expense; filter expenses with `?tag=`.",
)


@blp.route("")
class TagCollection(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_tags")
    @protected(blp)
    @blp.response(
        200,
        TagSchema(many=True),
        example=[{"id": 5, "name": "family", "expense_count": 9}, {"id": 2, "name": "weekly", "expense_count": 4}],
    )
    def get(self):
        """List my tags

        Returns every tag of the user (not paginated), by name, with the number of expenses
        carrying it; a tag whose expenses were all deleted or retagged counts 0.
        """
        return tags.list_tags(user=token_user)
