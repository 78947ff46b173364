"""Your own model: path C's last step. A small character model trained on a text of the learner's choice with a
preset two-minute run (the trainer of Module 5), then sampled at a low, a medium and a high temperature."""

import streamlit as st

from core.ui import lesson, own_model, shell

ctx = shell.course_page("ownmodel")
lesson.page_header(ctx)
lesson.text("ownmodel", "intro")
own_model.quick_model(ctx)
st.page_link(ctx.course.pages["m04"].file, label="Module 4, section 4.4: how temperature works",
             icon=":material/thermostat:")
st.page_link(ctx.course.pages["m05"].file, label="Module 5: the full trainer, with every setting",
             icon=":material/tune:")
lesson.next_step(ctx)
