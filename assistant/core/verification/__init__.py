"""The sentence verifier: does a written sentence say what the passage it cites says?"""
