from core.lessons import bow


def test_reordered_sentence_has_the_same_bag_but_a_different_sequence():
    result = bow.compare("The dog bit the man.", "The man bit the dog!")
    assert result.same_bag and not result.same_sequence
    assert result.bag_a["the"] == 2


def test_different_words_give_different_bags():
    assert not bow.compare("cats purr", "dogs bark").same_bag


def test_table_lists_every_word_once():
    rows = bow.compare("a b b", "b c").table()
    assert rows == [
        {"word": "a", "text A": 1, "text B": 0},
        {"word": "b", "text A": 2, "text B": 1},
        {"word": "c", "text A": 0, "text B": 1},
    ]


def test_empty_and_odd_input_is_handled():
    assert bow.bag_of_words("") == {}
    assert bow.bag_of_words("\x00<b>!!</b>") == {"b": 2}
