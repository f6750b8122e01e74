"""The chat window: conversations, the chat view, the composer and context meter, the settings panel.

``window.MainWindow`` lays the widgets out and wires them; what happens while a
reply is written lives in ``replies.ReplyController`` and attaching files in
``attachments.AttachmentController``, both owned by the window and speaking by signals.
"""
