"""Classes as staff see them: which classes an account may open, and the learners in one.

A coach sees the classes they teach (CoachClass); an admin sees every class of their school.
Anything else, or a class that is not theirs, is "not found": the page never confirms that
another coach's class exists.
"""
from dataclasses import dataclass

from peewee import JOIN, fn

from server.errors import NotFound
from server.models import Account, Classroom, CoachClass

NOT_YOURS = "This class does not exist, or it is not one of your classes."


@dataclass(frozen=True)
class ClassSummary:
    classroom: Classroom
    learner_count: int


def classes_for(account: Account) -> list[ClassSummary]:
    """The classes this coach teaches (or, for an admin, all classes of the school), by name."""
    query = Classroom.select(Classroom, fn.COUNT(Account.id).alias("learner_count")).join(
        Account, on=((Account.classroom == Classroom.id) & (Account.role == "learner") & ~Account.deleted),
        join_type=JOIN.LEFT_OUTER)
    query = _visible(query, account).group_by(Classroom.id).order_by(Classroom.name)
    return [ClassSummary(row, row.learner_count) for row in query]


def class_for(account: Account, class_id: str) -> Classroom:
    """A class this account may open, or NotFound."""
    classroom = _visible(Classroom.select(), account).where(Classroom.id == class_id).first()
    if classroom is None:
        raise NotFound(NOT_YOURS)
    return classroom


def _visible(query, account: Account):
    query = query.where(~Classroom.deleted)
    if account.role == "admin":
        return query.where(Classroom.school == account.school_id)
    if account.role == "coach":
        return query.where(Classroom.id.in_(
            CoachClass.select(CoachClass.classroom).where(CoachClass.coach == account.id)))
    return query.where(Classroom.id.is_null())  # nobody else sees classes here


def learners_query(classroom: Classroom):
    """The learners of a class, by name (a query, so it can be used as a subquery)."""
    return (Account.select().where((Account.classroom == classroom) & (Account.role == "learner")
                                   & ~Account.deleted).order_by(Account.display_name, Account.username))


def learner_ids_query(classroom: Classroom):
    """A subquery of the class's learner ids (one query, whatever the class size)."""
    return Account.select(Account.id).where((Account.classroom == classroom) & (Account.role == "learner")
                                            & ~Account.deleted)


def learner_in(classroom: Classroom, learner_id: str) -> Account:
    """A learner of this class, or NotFound."""
    learner = learners_query(classroom).where(Account.id == learner_id).first()
    if learner is None:
        raise NotFound("This learner is not in this class.")
    return learner
