"""Class schemas: field types, the seed templates, and the Parse JSON value codec."""
