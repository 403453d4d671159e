"""The recurrent layer family (being written: registers itself with register_family)."""
