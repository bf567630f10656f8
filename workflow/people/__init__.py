"""The people of the desk: a person, their role and the names they are known by. Every feature refers to
them; they refer to no feature."""
