import os


def main():
    return os.getcwd()


class A:
    pass
