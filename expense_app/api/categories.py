"""Categories: list with counts and totals, create, read, rename/recolour, delete (with reassignment)."""

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from expense_app.api.authentication import auth_required, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas.categories import (
    CategoryCreateSchema,
    CategoryDeleteArgsSchema,
    CategorySchema,
    CategoryUpdateSchema,
)
from expense_app.services import categories

URL_PREFIX = "/categories"
CATEGORY_EXAMPLE = {
    "id": 3,
    "name": "Groceries",
    "color": "#198754",
    "icon": "cart",
    "expense_count": 12,
    "total_amount": "245.80",
    "unconverted_count": 0,
    "created_at": "2026-11-26T09:30:00+00:00",
}
blp = Blueprint(
    "Categories",
    __name__,
    description="Your categories, each with the number and total amount of its expenses.",
)


@blp.route("")
class CategoryCollection(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_categories")
    @protected(blp)
    @blp.response(200, CategorySchema(many=True), example=[CATEGORY_EXAMPLE])
    def get(self):
        """List my categories

        Returns every category of the user (not paginated), ordered by name, each with
        `expense_count` and `total_amount` (a decimal string, in your base currency; the
        `unconverted_count` expenses waiting for an exchange rate are counted, not added).
        """
        return categories.list_categories(user=token_user)

    @blp.doc(operationId="create_category")
    @protected(blp, 409, 422)
    @blp.arguments(CategoryCreateSchema, example={"name": "Groceries", "color": "#198754", "icon": "cart"})
    @blp.response(
        201,
        CategorySchema,
        headers={"Location": {"description": "URL of the new category.", "schema": {"type": "string"}}},
    )
    def post(self, data):
        """Create a category

        The name is trimmed and must be unique among your categories ignoring case (409 when it
        is taken). The colour is `#rrggbb`.
        """
        created = categories.create_category(user=token_user, **data)
        return created, 201, {"Location": url_for("Categories.CategoryItem", category_id=created.id)}


@blp.route("/<int:category_id>")
class CategoryItem(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_category")
    @protected(blp, 404)
    @blp.response(200, CategorySchema, example=CATEGORY_EXAMPLE)
    def get(self, category_id):
        """Get a category

        Returns the category with its expense count and total. Another user's category is 404.
        """
        return categories.get_category(user=token_user, category_id=category_id)

    @blp.doc(operationId="update_category")
    @protected(blp, 404, 409, 422)
    @blp.arguments(CategoryUpdateSchema, example={"name": "Food & groceries", "color": "#20c997"})
    @blp.response(200, CategorySchema)
    def patch(self, data, category_id):
        """Update a category

        Renames, recolours or changes the icon; omitted fields stay as they are and an empty
        `icon` removes it. A name you already use on another category is 409.
        """
        return categories.update_category(user=token_user, category_id=category_id, **data)

    @blp.doc(operationId="delete_category")
    @protected(blp, 404, 409, 422)
    @blp.arguments(CategoryDeleteArgsSchema, location="query")
    @blp.response(204)
    def delete(self, args, category_id):
        """Delete a category

        A category that still has expenses is refused (409) unless `reassign_to` names another
        of your categories: its expenses then move there and the category is deleted, both in
        one transaction. An unknown or foreign `reassign_to` is 404, the category itself 422.
        """
        categories.delete_category(user=token_user, category_id=category_id, **args)
